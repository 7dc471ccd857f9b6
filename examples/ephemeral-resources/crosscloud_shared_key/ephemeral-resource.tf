# A fresh pre-shared key on every run, stored nowhere by Terraform. Feed it to
# a write-only argument: here the link's shared_key_wo, which sends it to the
# Azure connection and the gateway server. Because the value changes on every
# run, it is applied only when shared_key_wo_version changes (and when the
# link is created or repaired): bump the version to rotate.
ephemeral "crosscloud_shared_key" "psk" {
  length = 64 # Azure accepts 1-128 characters
}

resource "crosscloud_ipsec_link" "main" {
  name                  = "hel1-weu"
  shared_key_wo         = ephemeral.crosscloud_shared_key.psk.value
  shared_key_wo_version = 1

  hetzner = {
    network_ip_range = "10.0.0.0/12"
    gateway_subnet   = "10.0.1.0/24"
    location         = "hel1"
  }
  azure = {
    resource_group_name   = "rg-net"
    location              = "westeurope"
    virtual_network_id    = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-weu"
    gateway_subnet_prefix = "10.1.255.0/27"
  }
}
