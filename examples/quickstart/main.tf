# Quickstart: the original Hetzner <-> Azure setup in one resource.
#
# Hetzner: a network 10.0.0.0/12 with the gateway subnet 10.0.1.0/24 and a
# strongSwan server on 10.0.1.1; the network route 10.1.0.0/16 -> 10.0.1.1
# lets every Hetzner server reach Azure. This works because the network's
# range contains Azure's address space.
# Azure: an existing VNet 10.1.0.0/16 (VMs in 10.1.1.0/24) gets a
# GatewaySubnet 10.1.2.0/24 and a route-based VPN gateway.
#
# Against the local emulator (`make demo` does all of this for you):
#   crosscloud-sim -addr 127.0.0.1:0 -env-file sim.env -time-scale 0.002 &
#   . ./sim.env
#   terraform apply -var azure_virtual_network_id=/subscriptions/.../virtualNetworks/vnet-weu
terraform {
  required_version = ">= 1.5"
  required_providers {
    crosscloud = {
      source = "crosscloud-tf/crosscloud"
    }
  }
}

# Credentials and endpoints come from the environment: HCLOUD_TOKEN and the
# ARM_* variables (the emulator's env file sets them all).
provider "crosscloud" {}

variable "azure_virtual_network_id" {
  description = "ID of the Azure VNet (address space 10.1.0.0/16) to join."
  type        = string
}

variable "azure_resource_group_name" {
  description = "Resource group for the VPN gateway, its public IP and the connection."
  type        = string
  default     = "rg-net"
}

resource "crosscloud_ipsec_link" "main" {
  name = "hel1-weu"

  hetzner = {
    network_ip_range = "10.0.0.0/12"
    gateway_subnet   = "10.0.1.0/24"
    gateway_ip       = "10.0.1.1"
    location         = "hel1"
  }

  azure = {
    resource_group_name   = var.azure_resource_group_name
    location              = "westeurope"
    virtual_network_id    = var.azure_virtual_network_id
    gateway_subnet_prefix = "10.1.2.0/24"
  }

  # Omitted on purpose: ipsec_policy (secure defaults: AES-256-GCM, SHA-384,
  # ECP384, the same on both sides), shared_key (generated), and
  # wait_for_connected (true: apply returns once Azure reports Connected).
}

output "hetzner_gateway" {
  description = "The strongSwan server: public IPv4 (IKE peer) and private IP (route target)."
  value = {
    public_ipv4 = crosscloud_ipsec_link.main.hetzner_public_ipv4
    private_ip  = crosscloud_ipsec_link.main.hetzner_private_ip
  }
}

output "azure_gateway_public_ip" {
  description = "Public IP of the Azure VPN gateway."
  value       = crosscloud_ipsec_link.main.azure_gateway_public_ip
}

output "connection_status" {
  description = "Azure's view of the tunnel."
  value       = crosscloud_ipsec_link.main.connection_status
}
