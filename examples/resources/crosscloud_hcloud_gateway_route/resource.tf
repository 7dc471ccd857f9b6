# Route the Azure VNet through your own VPN gateway server: every server in
# the Hetzner network reaches 10.1.0.0/16 via 10.0.1.1, with no per-server routes.
resource "crosscloud_hcloud_gateway_route" "to_azure" {
  network_id  = 123 # e.g. hcloud_network.main.id
  destination = "10.1.0.0/16"
  gateway     = "10.0.1.1" # private IP of the gateway server

  # Servers send only their network's range to Hetzner's router, so the
  # destination must lie inside it. With true, a range such as 10.0.0.0/16
  # grows to 10.0.0.0/15 to cover 10.1.0.0/16: Hetzner keeps the base address
  # and only shortens the mask, and ranges never shrink. Servers already in
  # the network use the grown range after a reboot. With false, the plan
  # fails instead.
  expand_network_ip_range = true
}
