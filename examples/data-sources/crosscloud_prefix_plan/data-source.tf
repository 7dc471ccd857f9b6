# One non-overlapping block per site out of 10.0.0.0/8, and the Hetzner
# network range that covers them all (so it contains the Azure prefix, which
# is what lets one network route reach Azure from every Hetzner server).
data "crosscloud_prefix_plan" "sites" {
  supernet = "10.0.0.0/8"
  providers = [
    { name = "hetzner" },
    { name = "azure" },
    { name = "onprem", prefix_length = 16 }, # optional: a smaller block
  ]
}

output "prefixes" {
  # { hetzner = "10.0.0.0/10", azure = "10.64.0.0/10", onprem = "10.128.0.0/16" }
  value = data.crosscloud_prefix_plan.sites.prefixes
}

output "hetzner_network_ip_range" {
  value = data.crosscloud_prefix_plan.sites.hetzner_network_ip_range # "10.0.0.0/8"
}
