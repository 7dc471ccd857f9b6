package azure

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// GatewaySubnetName is the only subnet name Azure accepts for VPN gateways.
const GatewaySubnetName = "GatewaySubnet"

// VNet is what a link needs to know about the user's virtual network.
type VNet struct {
	ID, Name, ResourceGroup, Location string
	// AddressSpace is the VNet's IPv4 address space: the tunnel carries
	// IPv4. IPv6Space is the rest of a dual-stack VNet's space.
	AddressSpace, IPv6Space []netip.Prefix
	// Subnets maps subnet name to its (first) prefix.
	Subnets map[string]netip.Prefix
	// GatewaySubnetID is empty when the VNet has no GatewaySubnet yet.
	GatewaySubnetID string
	// GatewaySubnetOwner is the link the VNet's TagGatewaySubnet names: the
	// link that created the GatewaySubnet (empty: someone else did).
	GatewaySubnetOwner string
}

// TagGatewaySubnet is the tag on a VNet that names the link which created
// its GatewaySubnet. Subnets carry no tags in ARM (armnetwork.Subnet has no
// Tags field), so the ownership of a subnet crosscloud created has to live
// on its parent: Terraform state alone is not enough, because a run killed
// after the subnet PUT (or a lost state file) leaves nothing recording it,
// and a re-run would adopt the subnet as someone else's and leave it behind
// on destroy.
const TagGatewaySubnet = "crosscloud-gateway-subnet"

// GetVNet reads the VNet a link attaches to. A missing VNet is an error (the
// link does not own it), worded for the attribute that names it.
func (c *Client) GetVNet(ctx context.Context, id string) (*VNet, error) {
	rid, err := ParseID("azure.virtual_network_id", id)
	if err != nil {
		return nil, err
	}
	resp, err := c.vnets.Get(ctx, rid.ResourceGroupName, rid.Name, nil)
	if IsNotFound(err) {
		return nil, fmt.Errorf("azure.virtual_network_id: virtual network %s does not exist; create it first (crosscloud attaches to an existing VNet)", id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading virtual network %s: %w", id, err)
	}
	v := &VNet{ID: deref(resp.ID), Name: rid.Name, ResourceGroup: rid.ResourceGroupName,
		Location: deref(resp.Location), Subnets: map[string]netip.Prefix{}}
	if t := resp.Tags[TagGatewaySubnet]; t != nil {
		v.GatewaySubnetOwner = *t
	}
	if p := resp.Properties; p != nil {
		if p.AddressSpace != nil {
			for _, s := range p.AddressSpace.AddressPrefixes {
				pfx, err := netip.ParsePrefix(deref(s))
				if err != nil {
					return nil, fmt.Errorf("virtual network %s has an unparsable address prefix %q: %w", id, deref(s), err)
				}
				if pfx.Addr().Is4() {
					v.AddressSpace = append(v.AddressSpace, pfx)
				} else {
					v.IPv6Space = append(v.IPv6Space, pfx)
				}
			}
		}
		for _, sn := range p.Subnets {
			name := deref(sn.Name)
			if pfx, ok := subnetPrefix(sn); ok {
				v.Subnets[name] = pfx
			}
			if name == GatewaySubnetName {
				v.GatewaySubnetID = deref(sn.ID)
			}
		}
	}
	return v, nil
}

func subnetPrefix(sn *armnetwork.Subnet) (netip.Prefix, bool) {
	if sn == nil || sn.Properties == nil {
		return netip.Prefix{}, false
	}
	s := deref(sn.Properties.AddressPrefix)
	if s == "" && len(sn.Properties.AddressPrefixes) > 0 {
		s = deref(sn.Properties.AddressPrefixes[0])
	}
	p, err := netip.ParsePrefix(s)
	return p, err == nil
}

// EnsureGatewaySubnet returns the VNet's GatewaySubnet, creating it with
// prefix when absent. An existing GatewaySubnet is used as it is: it may
// already serve another gateway, and resizing a subnet in use fails.
//
// owned says the subnet is link's to delete: this call created it, or an
// earlier run of the same link did (the VNet's TagGatewaySubnet names it).
// The tag is written before the subnet PUT is sent, so a run killed at any
// moment after it leaves the ownership recorded; a tag without a subnet
// (killed in between) only means the next run creates it. An empty link
// records nothing. onCreate, when set, is called just before the create is
// sent: a request cut off mid-flight (a failed sibling step cancels ctx)
// may still have created the subnet, and deleting one that never came is a
// no-op.
func (c *Client) EnsureGatewaySubnet(ctx context.Context, vnetID, link string, prefix netip.Prefix, onCreate func()) (subnetID string, owned bool, err error) {
	rid, err := ParseID("azure.virtual_network_id", vnetID)
	if err != nil {
		return "", false, err
	}
	got, err := c.subnets.Get(ctx, rid.ResourceGroupName, rid.Name, GatewaySubnetName, nil)
	if err == nil {
		owned := false
		if link != "" {
			v, err := c.GetVNet(ctx, vnetID)
			if err != nil {
				return "", false, err
			}
			owned = v.GatewaySubnetOwner == link
		}
		// Someone else's (e.g. an azurerm_subnet in the same apply) may
		// still be settling.
		return deref(got.ID), owned, c.waitSubnetSettled(ctx, rid.ResourceGroupName, rid.Name)
	}
	if !IsNotFound(err) {
		return "", false, fmt.Errorf("reading %s of %s: %w", GatewaySubnetName, vnetID, err)
	}
	if !prefix.IsValid() {
		return "", false, fmt.Errorf("azure.gateway_subnet_prefix: virtual network %s has no %s; set gateway_subnet_prefix (a /27 or larger inside the VNet) so crosscloud can create it", vnetID, GatewaySubnetName)
	}
	if link != "" {
		if err := c.tagVNet(ctx, rid.ResourceGroupName, rid.Name, TagGatewaySubnet, &link); err != nil {
			return "", false, err
		}
	}
	body := armnetwork.Subnet{Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: new(prefix.String())}}
	if onCreate != nil {
		onCreate()
	}
	res, err := putLRO(ctx, c, fmt.Sprintf("azure.gateway_subnet_prefix: creating %s %s in %s", GatewaySubnetName, prefix, vnetID),
		func() (*runtime.Poller[armnetwork.SubnetsClientCreateOrUpdateResponse], error) {
			return c.subnets.BeginCreateOrUpdate(ctx, rid.ResourceGroupName, rid.Name, GatewaySubnetName, body, nil)
		})
	if err != nil {
		return "", false, err
	}
	return deref(res.ID), true, c.waitSubnetSettled(ctx, rid.ResourceGroupName, rid.Name)
}

// DeleteGatewaySubnet removes the GatewaySubnet link created, then the
// VNet's ownership tag (only while it still names link). Not found is
// success for both, so a second destroy finishes cleanly.
func (c *Client) DeleteGatewaySubnet(ctx context.Context, vnetID, link string) error {
	if err := c.DeleteSubnet(ctx, vnetID+"/subnets/"+GatewaySubnetName); err != nil {
		return err
	}
	rid, err := ParseID("azure.virtual_network_id", vnetID)
	if err != nil {
		return err
	}
	v, err := c.vnets.Get(ctx, rid.ResourceGroupName, rid.Name, nil)
	if IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading virtual network %s: %w", vnetID, err)
	}
	if t := v.Tags[TagGatewaySubnet]; t == nil || *t != link {
		return nil
	}
	return c.tagVNet(ctx, rid.ResourceGroupName, rid.Name, TagGatewaySubnet, nil)
}

// tagVNet sets (value nil: removes) one tag of a VNet and keeps the others.
// ARM's UpdateTags (PATCH, answered 200 at once) takes the whole tag set,
// so the current tags are read first. A VNet busy with another operation
// (a subnet being written) refuses the PATCH with 409
// AnotherOperationInProgress; it is retried until ctx ends.
func (c *Client) tagVNet(ctx context.Context, rg, vnet, key string, value *string) error {
	what := fmt.Sprintf("tagging virtual network %s (%s)", vnet, key)
	for {
		v, err := c.vnets.Get(ctx, rg, vnet, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		tags := map[string]*string{}
		for k, t := range v.Tags {
			tags[k] = t
		}
		if value == nil {
			delete(tags, key)
		} else {
			tags[key] = value
		}
		_, err = c.vnets.UpdateTags(ctx, rg, vnet, armnetwork.TagsObject{Tags: tags}, nil)
		if !isBusy(err) {
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			return nil
		}
		if serr := sleep(ctx, c.pollInterval()); serr != nil {
			return fmt.Errorf("%s: %w (gave up waiting: %w)", what, err, serr)
		}
	}
}

// waitSubnetSettled waits until the GatewaySubnet and its VNet both read
// Succeeded. A subnet PUT's operation can report Succeeded while the subnet
// and the VNet still read Updating, and a gateway PUT into it then fails
// with ReferencedResourceNotProvisioned; azurerm polls both the same way
// after every subnet write (subnet_resource.go,
// custompollers/virtual_network_and_subnet_provisioning_state_poller.go;
// azurerm#13105, #30197).
func (c *Client) waitSubnetSettled(ctx context.Context, rg, vnet string) error {
	return c.waitProvisioned(ctx, GatewaySubnetName+" of virtual network "+vnet, func() (string, error) {
		sn, err := c.subnets.Get(ctx, rg, vnet, GatewaySubnetName, nil)
		if err != nil {
			return "", err
		}
		v, err := c.vnets.Get(ctx, rg, vnet, nil)
		if err != nil {
			return "", err
		}
		st, vst := StateSucceeded, StateSucceeded
		if sn.Properties != nil {
			st = string(deref(sn.Properties.ProvisioningState))
		}
		if v.Properties != nil {
			vst = string(deref(v.Properties.ProvisioningState))
		}
		if st != StateSucceeded {
			return st, nil
		}
		return vst, nil
	})
}

// DeleteSubnet removes a subnet the link created; not found is success.
func (c *Client) DeleteSubnet(ctx context.Context, id string) error {
	rid, err := ParseID("subnet", id)
	if err != nil {
		return err
	}
	if rid.Parent == nil || !strings.EqualFold(rid.ResourceType.Type, "virtualNetworks/subnets") {
		return fmt.Errorf("%s is not a subnet ID", id)
	}
	return deleteLRO(ctx, c, "deleting subnet "+id, func() (*runtime.Poller[armnetwork.SubnetsClientDeleteResponse], error) {
		return c.subnets.BeginDelete(ctx, rid.ResourceGroupName, rid.Parent.Name, rid.Name, nil)
	}, stateOf(func() (armnetwork.SubnetsClientGetResponse, error) {
		return c.subnets.Get(ctx, rid.ResourceGroupName, rid.Parent.Name, rid.Name, nil)
	}, func(r armnetwork.SubnetsClientGetResponse) any { return r.Properties }))
}
