# Configure a gateway you run yourself (an Ansible role, an existing VM) and
# keep the pre-shared key out of the state: a fresh key from
# crosscloud_shared_key, the rendered swanctl.conf handed straight to the
# tool that installs it. Neither is stored in the plan or the state.

ephemeral "crosscloud_shared_key" "psk" {}

ephemeral "crosscloud_strongswan_config" "hel1_weu" {
  connection_name = "hel1-weu"
  local_address   = "192.0.2.10"    # your gateway's public IPv4
  remote_address  = "198.51.100.20" # the Azure VPN gateway's public IPv4
  local_prefixes  = ["10.0.1.0/24"] # Hetzner side
  remote_prefixes = ["10.1.0.0/16"] # Azure VNet
  shared_key      = ephemeral.crosscloud_shared_key.psk.value
}

# Ephemeral values may feed provisioners. Here the file lands next to the
# configuration with mode 0600; in real life the command would be e.g.
# `ansible-playbook gateway.yml -e @-` reading SWANCTL_CONF, and the same key
# would go to the Azure connection through a write-only argument.
resource "terraform_data" "gateway_config" {
  provisioner "local-exec" {
    command     = "umask 077 && printf '%s' \"$SWANCTL_CONF\" > '${path.module}/hel1-weu.conf'"
    environment = { SWANCTL_CONF = ephemeral.crosscloud_strongswan_config.hel1_weu.swanctl_conf }
  }
}
