// Package acctest holds the real-account acceptance suite (`make
// testacc-real`) and its sweepers (`make sweep`). Its tests use only the
// endpoints and credentials in the environment, so the same suite runs
// against Hetzner Cloud and Azure or against crosscloud-sim (the rehearsal
// in cmd/crosscloud-acc does that in every `make test`). Everything it
// creates is named tf-acc-test-<run>-...; see docs/guides/real-accounts.md.
package acctest
