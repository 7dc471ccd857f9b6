package hcloudsim

import (
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

var sshKeyTypes = []string{"ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"}

// fingerprint computes the MD5 fingerprint Hetzner shows ("aa:bb:..."),
// rejecting text that is not an OpenSSH public key.
func fingerprint(pub string) (string, *apiError) {
	f := strings.Fields(pub)
	if len(f) < 2 || !slices.Contains(sshKeyTypes, f[0]) {
		return "", invalidField("public_key", "not an OpenSSH public key; expected e.g. \"ssh-ed25519 AAAA... comment\"")
	}
	blob, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil || len(blob) == 0 {
		return "", invalidField("public_key", "the key data after %s is not base64", f[0])
	}
	sum := md5.Sum(blob)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02x", b)
	}
	return strings.Join(parts, ":"), nil
}

// sshKeys is the kind of /ssh_keys (kind.go); its list also filters by
// fingerprint=.
var sshKeys = &kindOf[schema.SSHKey, schema.SSHKey]{
	typ: "ssh_key", label: "SSH key",
	items: func(st *state) map[int64]*schema.SSHKey { return st.SSHKeys },
	meta:  func(k *schema.SSHKey) meta { return meta{k.ID, &k.Name, &k.Labels, k.Created} },
	view:  func(_ *Server, k *schema.SSHKey) schema.SSHKey { return cloneSSHKey(k) },
	sorts: []string{"name"},
	match: func(q url.Values, k *schema.SSHKey) bool {
		fp := q.Get("fingerprint")
		return fp == "" || fp == k.Fingerprint
	},
	getBody:    func(v schema.SSHKey) any { return schema.SSHKeyGetResponse{SSHKey: v} },
	updateBody: func(v schema.SSHKey) any { return schema.SSHKeyUpdateResponse{SSHKey: v} },
	listBody:   func(page []schema.SSHKey) any { return schema.SSHKeyListResponse{SSHKeys: page} },
}

func cloneSSHKey(k *schema.SSHKey) schema.SSHKey {
	v := *k
	v.Labels = labelsOrEmpty(&k.Labels)
	return v
}

func createSSHKey(c *call) (int, any, *apiError) {
	var req schema.SSHKeyCreateRequest
	if err := sshKeys.decodeNew(c, &req, &req.Name, &req.Labels); err != nil {
		return 0, nil, err
	}
	s := c.s
	fp, err := fingerprint(req.PublicKey)
	if err != nil {
		return 0, nil, err
	}
	for _, k := range s.st.SSHKeys {
		if k.Fingerprint == fp {
			return 0, nil, errf("uniqueness_error", "SSH key with the same fingerprint already exists (%q, ID %d)", k.Name, k.ID)
		}
	}
	k := &schema.SSHKey{Name: req.Name, PublicKey: strings.TrimSpace(req.PublicKey), Fingerprint: fp,
		Labels: labelsOrEmpty(req.Labels), Created: c.now}
	k.ID = s.st.nextID("ssh_key")
	s.st.SSHKeys[k.ID] = k
	return http.StatusCreated, schema.SSHKeyCreateResponse{SSHKey: cloneSSHKey(k)}, nil
}

var updateSSHKey = updater(sshKeys,
	func(req *schema.SSHKeyUpdateRequest) edit { return edit{nonEmpty(req.Name), req.Labels} }, nil)

var deleteSSHKey = sshKeys.deleter(nil, nil)
