# Route the Azure VNet through your own VPN gateway server: every server in
# the Hetzner network reaches 10.1.0.0/16 via 10.0.1.1, with no per-server routes.
resource "crosscloud_hcloud_gateway_route" "to_azure" {
  network_id  = 123 # e.g. hcloud_network.main.id
  destination = "10.1.0.0/16"
  gateway     = "10.0.1.1" # private IP of the gateway server

  # Hetzner routes only destinations inside the network's range. With true,
  # a range such as 10.0.0.0/16 grows to 10.0.0.0/15 to cover 10.1.0.0/16
  # (ranges can grow, never shrink); with false, the plan fails instead.
  expand_network_ip_range = true
}
