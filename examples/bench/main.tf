# The configuration `make bench` and `make chaos` apply against crosscloud-sim.
# It is an ordinary configuration: with the emulator's env file loaded
# (`. sim.env`) and a VNet created, `terraform apply` works by hand too.
#
# The topology is the original Hetzner <-> Azure setup: a Hetzner network
# 10.0.0.0/12 whose range covers Azure's 10.1.0.0/16, so one network route
# to the gateway server reaches all of Azure.
terraform {
  required_providers {
    crosscloud = {
      source = "crosscloud-tf/crosscloud"
    }
  }
}

# Every setting comes from HCLOUD_* and ARM_* (the emulator's env file).
provider "crosscloud" {}

variable "links" {
  description = "One link per key (the key is the link name)."
  type = map(object({
    resource_group_name = string
    virtual_network_id  = string
    # Hetzner-side gateway subnet; links that share an Azure gateway need
    # different ones, because Azure learns them through one gateway.
    gateway_subnet = optional(string, "10.0.1.0/24")
    # Reuse an existing Azure VPN gateway instead of creating one.
    virtual_network_gateway_id = optional(string)
    # Join an existing Hetzner network (its range must cover the VNet's)
    # instead of creating 10.0.0.0/12.
    network_id = optional(number)
    # Hetzner prefixes announced to Azure; default: the network's subnets.
    local_prefixes = optional(list(string))
  }))
}

resource "crosscloud_ipsec_link" "bench" {
  for_each = var.links

  name = each.key

  hetzner = {
    network_id       = each.value.network_id
    network_ip_range = each.value.network_id == null ? "10.0.0.0/12" : null
    network_zone     = "eu-central"
    gateway_subnet   = each.value.gateway_subnet
    local_prefixes   = each.value.local_prefixes
    location         = "nbg1"
  }

  azure = {
    resource_group_name        = each.value.resource_group_name
    location                   = "westeurope"
    virtual_network_id         = each.value.virtual_network_id
    gateway_subnet_prefix      = "10.1.255.0/27"
    virtual_network_gateway_id = each.value.virtual_network_gateway_id
  }
}

output "links" {
  value = {
    for name, l in crosscloud_ipsec_link.bench : name => {
      azure_gateway_id  = l.azure_gateway_id
      connection_status = l.connection_status
    }
  }
}
