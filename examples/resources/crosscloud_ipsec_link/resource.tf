# The original Hetzner <-> Azure setup in one resource.
#
# Hetzner: a new network 10.0.0.0/12 with the subnet 10.0.1.0/24 and a
# strongSwan gateway server on 10.0.1.1; the network route
# 10.1.0.0/16 -> 10.0.1.1 lets every server in the network reach Azure.
# Azure: an existing VNet 10.1.0.0/16 gets a GatewaySubnet 10.1.255.0/27,
# a route-based VPN gateway, a local network gateway and the connection.

variable "psk" {
  description = "IKE pre-shared key: printable ASCII without space, '-' or '~'. Omit shared_key to have one generated."
  type        = string
  sensitive   = true
}

resource "crosscloud_ipsec_link" "main" {
  name = "hel1-weu"

  hetzner = {
    network_ip_range  = "10.0.0.0/12" # created by the link; contains the Azure prefix 10.1.0.0/16
    network_zone      = "eu-central" # default: the zone of location
    gateway_subnet    = "10.0.1.0/24"
    gateway_ip        = "10.0.1.1" # never 10.0.0.1: that is Hetzner's network router
    location          = "hel1"
    server_type       = "cx23" # EU locations only, and cheaper; the default cpx22 is offered everywhere
    image             = "debian-12"
    ssh_allowed_cidrs = [] # SSH closed; IKE and ESP are open to the Azure gateway only
  }

  azure = {
    resource_group_name   = "rg-net"
    location              = "westeurope"
    virtual_network_id    = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-weu" # e.g. azurerm_virtual_network.vnet.id
    gateway_subnet_prefix = "10.1.255.0/27"
    gateway_sku           = "VpnGw1AZ"
    remote_prefixes       = ["10.1.0.0/16"] # default: the VNet's IPv4 address space
    connection_mode       = "ResponderOnly" # default: the Hetzner gateway initiates
  }

  # These are the defaults, spelled out: AES-256 with SHA-384 and ECP384 for
  # IKE, AES-256-GCM with ECP384 for ESP, so both ends offer exactly one
  # common suite.
  ipsec_policy = {
    ike_encryption        = "AES256"
    ike_integrity         = "SHA384"
    dh_group              = "ECP384"
    ipsec_encryption      = "GCMAES256"
    ipsec_integrity       = "GCMAES256"
    pfs_group             = "ECP384"
    sa_lifetime_seconds   = 27000
    sa_datasize_kilobytes = 102400000
  }
  dpd_timeout_seconds = 45

  shared_key         = var.psk
  wait_for_connected = true # apply returns once Azure reports the connection Connected

  # A new Azure VPN gateway takes 30-45 minutes; the Hetzner side is built
  # while it provisions.
  timeouts = {
    create = "90m"
    update = "60m"
    delete = "120m"
  }
}

# A second site on the same Azure gateway: reusing virtual_network_gateway_id
# skips the 45-minute gateway build (minutes instead), and network_id joins a
# Hetzner network that already exists instead of creating one. Its range must
# still contain the Azure prefix (10.0.0.0/8 contains 10.1.0.0/16), and its
# subnets must not overlap Azure's or the first site's.
variable "apps_network_id" {
  description = "ID of an existing Hetzner network with range 10.0.0.0/8, e.g. hcloud_network.apps.id."
  type        = number
}

resource "crosscloud_ipsec_link" "fsn1" {
  name = "fsn1-weu"

  hetzner = {
    network_id     = var.apps_network_id
    gateway_subnet = "10.32.1.0/24" # created in that network when absent
    location       = "fsn1"
  }

  azure = {
    resource_group_name        = "rg-net"
    location                   = "westeurope"
    virtual_network_id         = crosscloud_ipsec_link.main.azure.virtual_network_id
    virtual_network_gateway_id = crosscloud_ipsec_link.main.azure_gateway_id # never deleted by this link
  }

  # ipsec_policy and shared_key omitted: the secure defaults and a generated key.
}

output "gateways" {
  description = "Where the tunnel ends on each side, and Azure's view of it."
  value = {
    hetzner_public_ipv4 = crosscloud_ipsec_link.main.hetzner_public_ipv4
    hetzner_private_ip  = crosscloud_ipsec_link.main.hetzner_private_ip
    azure_public_ip     = crosscloud_ipsec_link.main.azure_gateway_public_ip
    connection_status   = crosscloud_ipsec_link.main.connection_status
  }
}
