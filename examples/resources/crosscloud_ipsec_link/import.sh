# Import by "<hetzner_network_id>:<azure_connection_id>". The rest (gateway
# server, firewall, routes, gateways, policy, shared key) is discovered from
# the connection, which must be named "<link name>-conn".
terraform import crosscloud_ipsec_link.main '4711:/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/connections/hel1-weu-conn'
