# Render the strongSwan side of the original Hetzner <-> Azure tunnel for a
# gateway you run yourself (an Ansible role, a Packer image, an existing VM):
# Hetzner subnet 10.0.1.0/24 on one side, the Azure VNet 10.1.0.0/16 on the other.

variable "psk" {
  description = "IKE pre-shared key: printable ASCII without space, '-' or '~'."
  type        = string
  sensitive   = true
}

data "crosscloud_strongswan_config" "hel1_weu" {
  connection_name = "hel1-weu"
  local_address   = "192.0.2.10"    # your gateway's public IPv4
  remote_address  = "198.51.100.20" # the Azure VPN gateway's public IPv4
  local_prefixes  = ["10.0.1.0/24"] # Hetzner side
  remote_prefixes = ["10.1.0.0/16"] # Azure VNet
  shared_key      = var.psk

  # Optional: every field defaults to the secure suite shown here.
  ipsec_policy = {
    ike_encryption      = "AES256"
    ike_integrity       = "SHA384"
    dh_group            = "ECP384"
    ipsec_encryption    = "GCMAES256"
    ipsec_integrity     = "GCMAES256"
    pfs_group           = "ECP384"
    sa_lifetime_seconds = 27000
  }
  dpd_timeout_seconds = 45
}

# The strongSwan proposals, e.g. to configure a peer by hand.
output "ike_proposal" {
  value = data.crosscloud_strongswan_config.hel1_weu.ike_proposal # "aes256-sha384-ecp384"
}

output "esp_proposal" {
  value = data.crosscloud_strongswan_config.hel1_weu.esp_proposal # "aes256gcm16-ecp384"
}

# Write this file with mode 0600 on the gateway, then run `swanctl --load-all`.
output "swanctl_conf_path" {
  value = data.crosscloud_strongswan_config.hel1_weu.swanctl_conf_path
}

output "swanctl_conf" {
  value     = data.crosscloud_strongswan_config.hel1_weu.swanctl_conf
  sensitive = true # contains the pre-shared key
}

# Or boot a fresh Debian 12 server with it as user data.
output "cloud_init" {
  value     = data.crosscloud_strongswan_config.hel1_weu.cloud_init
  sensitive = true
}
