terraform {
  required_providers {
    crosscloud = {
      source = "crosscloud-tf/crosscloud"
    }
  }
}

variable "hcloud_token" {
  type      = string
  sensitive = true
}

# Both blocks are optional; every attribute also reads an environment
# variable (HCLOUD_TOKEN, ARM_SUBSCRIPTION_ID, ARM_CLIENT_ID, ...).
provider "crosscloud" {
  hcloud = {
    token = var.hcloud_token
  }

  azure = {
    subscription_id = "00000000-0000-0000-0000-000000000000"
    use_cli         = true # after `az login`; or client_id + client_secret + tenant_id, use_oidc, use_msi, access_token
  }
}
