# Import by "<network_id>/<destination>".
terraform import crosscloud_hcloud_gateway_route.to_azure 123/10.1.0.0/16
