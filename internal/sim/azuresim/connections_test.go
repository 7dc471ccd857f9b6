package azuresim

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

func ipsecPolicy(mod func(*armnetwork.IPSecPolicy)) []*armnetwork.IPSecPolicy {
	p := &armnetwork.IPSecPolicy{
		IkeEncryption: new(armnetwork.IkeEncryptionGCMAES256), IkeIntegrity: new(armnetwork.IkeIntegritySHA384),
		DhGroup: new(armnetwork.DhGroupECP384), IPSecEncryption: new(armnetwork.IPSecEncryptionGCMAES256),
		IPSecIntegrity: new(armnetwork.IPSecIntegrityGCMAES256), PfsGroup: new(armnetwork.PfsGroupECP384),
		SaLifeTimeSeconds: new(int32(27000)), SaDataSizeKilobytes: new(int32(102400000)),
	}
	if mod != nil {
		mod(p)
	}
	return []*armnetwork.IPSecPolicy{p}
}

func TestConnectionRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	st := f.stack("rg", "VpnGw1AZ")
	conns := f.net.NewVirtualNetworkGatewayConnectionsClient()
	with := func(mod func(*armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat)) armnetwork.VirtualNetworkGatewayConnection {
		c := connBody(st.gwID, st.lngID, "Secret123")
		mod(c.Properties)
		return c
	}
	tests := []struct {
		name, code string
		body       armnetwork.VirtualNetworkGatewayConnection
	}{
		{"two ipsec policies", "InvalidIpsecPoliciesCount", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) {
			p.IPSecPolicies = append(ipsecPolicy(nil), ipsecPolicy(nil)...)
		})},
		{"policy missing pfsGroup", "IpsecPolicyIncomplete", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) {
			p.IPSecPolicies = ipsecPolicy(func(x *armnetwork.IPSecPolicy) { x.PfsGroup = nil })
		})},
		{"GCM encryption with SHA256 integrity", "IpsecEncryptionIntegrityMismatch", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) {
			p.IPSecPolicies = ipsecPolicy(func(x *armnetwork.IPSecPolicy) { x.IPSecIntegrity = new(armnetwork.IPSecIntegritySHA256) })
		})},
		{"GCMAES128 with GCMAES256", "IpsecEncryptionIntegrityMismatch", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) {
			p.IPSecPolicies = ipsecPolicy(func(x *armnetwork.IPSecPolicy) { x.IPSecEncryption = new(armnetwork.IPSecEncryptionGCMAES128) })
		})},
		{"saLifeTimeSeconds 299", "InvalidSaLifeTimeSeconds", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) {
			p.IPSecPolicies = ipsecPolicy(func(x *armnetwork.IPSecPolicy) { x.SaLifeTimeSeconds = new(int32(299)) })
		})},
		{"saDataSizeKilobytes 1023", "InvalidSaDataSizeKilobytes", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) {
			p.IPSecPolicies = ipsecPolicy(func(x *armnetwork.IPSecPolicy) { x.SaDataSizeKilobytes = new(int32(1023)) })
		})},
		{"unknown dhGroup", "InvalidRequestFormat", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) {
			p.IPSecPolicies = ipsecPolicy(func(x *armnetwork.IPSecPolicy) { x.DhGroup = new(armnetwork.DhGroup("DHGroup5")) })
		})},
		{"dpd 8 s", "InvalidDpdTimeout", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) {
			p.DpdTimeoutSeconds = new(int32(8))
		})},
		{"dpd 3601 s", "InvalidDpdTimeout", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) {
			p.DpdTimeoutSeconds = new(int32(3601))
		})},
		{"key with space", "InvalidSharedKey", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) { p.SharedKey = new("a b") })},
		{"key with hyphen", "InvalidSharedKey", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) { p.SharedKey = new("a-b") })},
		{"key with tilde", "InvalidSharedKey", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) { p.SharedKey = new("a~b") })},
		{"key with non-ASCII", "InvalidSharedKey", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) { p.SharedKey = new("schlüssel") })},
		{"empty key", "InvalidSharedKey", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) { p.SharedKey = new("") })},
		{"129-char key", "InvalidSharedKey", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) {
			p.SharedKey = new(strings.Repeat("k", 129))
		})},
		{"missing local gateway", "InvalidResourceReference", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) {
			p.LocalNetworkGateway2.ID = new(st.lngID + "x")
		})},
		{"missing gateway", "InvalidResourceReference", with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) {
			p.VirtualNetworkGateway1.ID = new(st.gwID + "x")
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			f.refused(tt.code, func() error { _, err := conns.BeginCreateOrUpdate(ctx, "rg", "conn", tt.body, nil); return err })
		})
	}
	f.t = t
	ok := with(func(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) {
		p.IPSecPolicies = ipsecPolicy(nil)
		p.DpdTimeoutSeconds = new(int32(9))
		p.SharedKey = new(strings.Repeat("K", 127) + "!")
	})
	p, err := conns.BeginCreateOrUpdate(ctx, "rg", "conn", ok, nil)
	got := done(t, p, err)
	if *got.Properties.ConnectionProtocol != armnetwork.VirtualNetworkGatewayConnectionProtocolIKEv2 {
		t.Errorf("default connectionProtocol %s, want IKEv2", *got.Properties.ConnectionProtocol)
	}
	t.Run("connectionProtocol is immutable", func(t *testing.T) {
		f.t = t
		ok.Properties.ConnectionProtocol = new(armnetwork.VirtualNetworkGatewayConnectionProtocolIKEv1)
		f.refused("ConnectionProtocolCannotBeChanged", func() error { _, err := conns.BeginCreateOrUpdate(ctx, "rg", "conn", ok, nil); return err })
	})
}

func TestBasicGatewayRefusesCustomPolicy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	st := f.stack("rg", armnetwork.VirtualNetworkGatewaySKUNameBasic)
	c := connBody(st.gwID, st.lngID, "Secret123")
	c.Properties.IPSecPolicies = ipsecPolicy(nil)
	f.refused("BasicSkuDoesNotSupportIpsecPolicies", func() error {
		_, err := f.net.NewVirtualNetworkGatewayConnectionsClient().BeginCreateOrUpdate(ctx, "rg", "conn", c, nil)
		return err
	})
}

func TestConnectionNeedsProvisionedGateway(t *testing.T) {
	t.Parallel()
	f := newFixtureOpts(t, []Option{WithGatewayCreateDuration(100 * time.Hour)}) // 36 s scaled: still Updating
	f.group("rg")
	v := f.vnet("rg", "vnet", "10.1.0.0/16", subnet("GatewaySubnet", "10.1.255.0/27"))
	pip := f.pip("rg", "pip", "Standard", "Static")
	gwBody := gatewayBody("VpnGw1AZ", *v.ID+"/subnets/GatewaySubnet", *pip.ID)
	if _, err := f.net.NewVirtualNetworkGatewaysClient().BeginCreateOrUpdate(ctx, "rg", "gw", gwBody, nil); err != nil {
		t.Fatal(err)
	}
	lp, err := f.net.NewLocalNetworkGatewaysClient().BeginCreateOrUpdate(ctx, "rg", "lng", lngBody("203.0.113.9", "10.0.1.0/24"), nil)
	lng := done(t, lp, err)
	gwID := strings.Replace(*lng.ID, "localNetworkGateways/lng", "virtualNetworkGateways/gw", 1)
	f.refused("ReferencedResourceNotProvisioned", func() error {
		_, err := f.net.NewVirtualNetworkGatewayConnectionsClient().BeginCreateOrUpdate(ctx, "rg", "c", connBody(gwID, *lng.ID, "Secret1"), nil)
		return err
	})
	f.refused("AnotherOperationInProgress", func() error {
		_, err := f.net.NewVirtualNetworkGatewaysClient().BeginCreateOrUpdate(ctx, "rg", "gw", gwBody, nil)
		return err
	})
}

type fakeStatus struct{ st simenv.ConnectionStatus }

func (f fakeStatus) ConnectionStatus(string) (simenv.ConnectionStatus, bool) {
	return f.st, f.st.Status != ""
}

func TestConnectionStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status simenv.ConnectionStatusSource
		want   armnetwork.VirtualNetworkGatewayConnectionStatus
		bytes  int64
	}{
		{"API-only rule", nil, "Connected", 0},
		{"lab without opinion", fakeStatus{}, "Connected", 0},
		{"lab says NotConnected", fakeStatus{simenv.ConnectionStatus{Status: "NotConnected"}}, "NotConnected", 0},
		{"lab says Connected", fakeStatus{simenv.ConnectionStatus{Status: "Connected", IngressBytes: 42, EgressBytes: 7}}, "Connected", 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(e *simenv.Env) { e.Status = tt.status })
			st := f.stack("rg", "VpnGw1AZ")
			conns := f.net.NewVirtualNetworkGatewayConnectionsClient()
			p, err := conns.BeginCreateOrUpdate(ctx, "rg", "conn", connBody(st.gwID, st.lngID, "Secret123"), nil)
			if err != nil {
				t.Fatal(err)
			}
			during, _ := conns.Get(ctx, "rg", "conn", nil)
			if s := *during.Properties.ConnectionStatus; s != armnetwork.VirtualNetworkGatewayConnectionStatusUnknown {
				t.Errorf("while provisioning: %s, want Unknown", s)
			}
			done(t, p, nil)
			got, err := conns.Get(ctx, "rg", "conn", nil)
			if err != nil {
				t.Fatal(err)
			}
			if *got.Properties.ConnectionStatus != tt.want || *got.Properties.IngressBytesTransferred != tt.bytes {
				t.Errorf("status %s ingress %d, want %s %d", *got.Properties.ConnectionStatus, *got.Properties.IngressBytesTransferred, tt.want, tt.bytes)
			}
			pager := f.net.NewVirtualNetworkGatewaysClient().NewListConnectionsPager("rg", "gw", nil)
			page, err := pager.NextPage(ctx)
			if err != nil || len(page.Value) != 1 || *page.Value[0].Properties.ConnectionStatus != tt.want {
				t.Errorf("gateway connections list: %v %+v", err, page.Value)
			}
		})
	}
}

func TestSharedKeyAndEvents(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	f := newFixture(t, func(e *simenv.Env) { e.Events = rec })
	st := f.stack("rg", "VpnGw1AZ")
	c := f.connect(st, "conn", "First123")
	conns := f.net.NewVirtualNetworkGatewayConnectionsClient()
	p, err := conns.BeginSetSharedKey(ctx, "rg", "conn", armnetwork.ConnectionSharedKey{Value: new("Second456")}, nil)
	if got := done(t, p, err); deref(got.Value) != "Second456" {
		t.Errorf("set shared key result %q", deref(got.Value))
	}
	if k, _ := f.srv.SharedKey(*c.ID); k != "Second456" {
		t.Errorf("SharedKey() = %q after set", k)
	}
	settled := func() bool {
		got, err := conns.Get(ctx, "rg", "conn", nil)
		return err == nil && *got.Properties.ProvisioningState == armnetwork.ProvisioningStateSucceeded
	}
	f.eventually("connection Succeeded after the key change", settled)
	rp, err := conns.BeginResetSharedKey(ctx, "rg", "conn", armnetwork.ConnectionResetSharedKey{KeyLength: new(int32(64))}, nil)
	done(t, rp, err)
	f.eventually("connection Succeeded after the key reset", settled)
	got, err := conns.GetSharedKey(ctx, "rg", "conn", nil)
	if err != nil || len(deref(got.Value)) != 64 || checkSharedKey(deref(got.Value)) != nil {
		t.Errorf("after reset: %v %q, want a valid 64-char key", err, deref(got.Value))
	}
	if _, err := conns.BeginSetSharedKey(ctx, "rg", "conn", armnetwork.ConnectionSharedKey{Value: new("bad key")}, nil); armCode(t, err) != "InvalidSharedKey" {
		t.Errorf("bad key accepted: %v", err)
	}
	dp, err := conns.BeginDelete(ctx, "rg", "conn", nil)
	done(t, dp, err)
	want := []string{"azure.gateway.created", "azure.localgateway.updated", "azure.connection.created",
		"azure.connection.updated", "azure.connection.updated", "azure.connection.deleted"}
	if got := rec.kinds(); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

func TestGatewayReset(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.stack("rg", "VpnGw1AZ")
	p, err := f.net.NewVirtualNetworkGatewaysClient().BeginReset(ctx, "rg", "gw", nil)
	got := done(t, p, err)
	if deref(got.Name) != "gw" || *got.Properties.ProvisioningState != armnetwork.ProvisioningStateSucceeded {
		t.Errorf("reset result %v", got.Properties)
	}
}
