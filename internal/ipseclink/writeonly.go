package ipseclink

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// privateKeyMAC names the private-state entry that lets Read detect drift
// of a write-only key without keeping the key: Terraform never stores a
// write-only value (not in plan, not in state), so the link keeps only a
// salted HMAC-SHA256 of it. The salt is random per write, so two links with
// the same key store unrelated digests and a digest cannot be checked
// against a list of guessed keys without the salt (which sits next to it:
// the HMAC is a fingerprint, not a vault; the state file stays as
// sensitive as before, but it no longer holds the key).
const privateKeyMAC = "shared_key_wo_hmac"

var pathKeyWO = path.Root("shared_key_wo")

// keyMAC is the stored fingerprint of a write-only key.
type keyMAC struct {
	Salt []byte `json:"salt"`
	MAC  []byte `json:"mac"`
}

func newKeyMAC(key string) (*keyMAC, error) {
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	return &keyMAC{Salt: salt, MAC: macOf(salt, key)}, nil
}

func macOf(salt []byte, key string) []byte {
	h := hmac.New(sha256.New, salt)
	h.Write([]byte(key))
	return h.Sum(nil)
}

// matches reports whether key is the key the fingerprint was taken of.
func (k *keyMAC) matches(key string) bool { return hmac.Equal(k.MAC, macOf(k.Salt, key)) }

// privateGetter and privateSetter are the halves of the framework's
// private state that requests and responses expose.
type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}
type privateSetter interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// loadKeyMAC reads the fingerprint; nil when the link's key is not
// write-only (it is then compared with shared_key in state).
func loadKeyMAC(ctx context.Context, pg privateGetter, diags *diag.Diagnostics) *keyMAC {
	b, d := pg.GetKey(ctx, privateKeyMAC)
	diags.Append(d...)
	if len(b) == 0 {
		return nil
	}
	var k keyMAC
	if err := json.Unmarshal(b, &k); err != nil || len(k.Salt) == 0 || len(k.MAC) == 0 {
		diags.AddWarning("Unreadable shared key fingerprint",
			"The private state entry that detects drift of shared_key_wo is unreadable; the next apply rewrites it.")
		return nil
	}
	return &k
}

// storeKeyMAC records the fingerprint of a write-only key, or removes it
// when the key is kept in state instead (key == "").
func storeKeyMAC(ctx context.Context, ps privateSetter, key string, diags *diag.Diagnostics) {
	if key == "" {
		diags.Append(ps.SetKey(ctx, privateKeyMAC, nil)...)
		return
	}
	k, err := newKeyMAC(key)
	if err != nil {
		diags.AddError("Fingerprinting the shared key", err.Error())
		return
	}
	b, err := json.Marshal(k)
	if err != nil {
		diags.AddError("Fingerprinting the shared key", err.Error())
		return
	}
	diags.Append(ps.SetKey(ctx, privateKeyMAC, b)...)
}

// writeOnlyKey is shared_key_wo from the configuration, the only place
// Terraform passes a write-only value: "Write-only argument values are only
// available in the configuration. The prior state, planned state, and final
// state values ... should always be null", and the framework nulls them in
// every response (developer.hashicorp.com/terraform/plugin/framework/
// resources/write-only-arguments). "" when it is not set.
func writeOnlyKey(ctx context.Context, cfg tfsdk.Config, diags *diag.Diagnostics) string {
	var wo types.String
	diags.Append(cfg.GetAttribute(ctx, pathKeyWO, &wo)...)
	if wo.IsNull() || wo.IsUnknown() {
		return ""
	}
	return wo.ValueString()
}
