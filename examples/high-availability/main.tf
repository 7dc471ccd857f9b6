# High availability: the quickstart's link with two gateway servers behind
# one Hetzner Floating IP, against an active-active Azure VPN gateway.
#
# Hetzner: servers hel1-weu-gw (hel1, 10.0.1.1) and hel1-weu-gw-b (fsn1,
# 10.0.1.2) run strongSwan and keepalived. The active one holds the Floating
# IP (the only address Azure knows) and the network route 10.1.0.0/16; when
# it dies, the other moves both through the Hetzner API within seconds.
# Azure: the VPN gateway runs active-active, two instances on two public
# IPs; the active Hetzner server keeps a tunnel to each.
#
# The servers need a Hetzner API token to move the address. Hetzner tokens
# are project-wide: anyone with root on a gateway can use it on every
# resource of the project. Give the link a project of its own if that
# matters. The token is write-only: never in plan or state.
#
#   export TF_VAR_gateway_hcloud_token=...   # read & write token
#   terraform apply -var azure_virtual_network_id=/subscriptions/.../virtualNetworks/vnet-weu
terraform {
  required_version = ">= 1.11" # write-only attributes and ephemeral variables
  required_providers {
    crosscloud = {
      source = "crosscloud-tf/crosscloud"
    }
  }
}

provider "crosscloud" {}

variable "azure_virtual_network_id" {
  description = "ID of the Azure VNet (address space 10.1.0.0/16) to join."
  type        = string
}

variable "azure_resource_group_name" {
  description = "Resource group for the VPN gateway, its public IPs and the connection."
  type        = string
  default     = "rg-net"
}

variable "gateway_hcloud_token" {
  description = "Hetzner Cloud API token (read & write) the gateway servers use on failover."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "gateway_hcloud_token_version" {
  description = "Bump to roll a new gateway_hcloud_token onto the servers (it rebuilds them)."
  type        = number
  default     = 1
}

resource "crosscloud_ipsec_link" "main" {
  name = "hel1-weu"

  hetzner = {
    network_ip_range = "10.0.0.0/12"
    gateway_subnet   = "10.0.1.0/24"
    gateway_ip       = "10.0.1.1"
    location         = "hel1"

    high_availability = {
      # Another location of the network zone, so the pair survives the
      # loss of a whole location; default: location.
      standby_location        = "fsn1"
      hcloud_token_wo         = var.gateway_hcloud_token
      hcloud_token_wo_version = var.gateway_hcloud_token_version
    }
  }

  azure = {
    resource_group_name   = var.azure_resource_group_name
    location              = "westeurope"
    virtual_network_id    = var.azure_virtual_network_id
    gateway_subnet_prefix = "10.1.2.0/24"
  }
}

output "floating_ip" {
  description = "The pair's public address: Azure's peer and both servers' IKE identity."
  value       = crosscloud_ipsec_link.main.hetzner_public_ipv4
}

output "active_server_id" {
  description = "The server that held the Floating IP at the last refresh."
  value       = crosscloud_ipsec_link.main.hetzner_active_server_id
}

output "azure_gateway_public_ips" {
  description = "The Azure gateway's two instances."
  value       = [crosscloud_ipsec_link.main.azure_gateway_public_ip, crosscloud_ipsec_link.main.azure_gateway_second_public_ip]
}
