package hcloudsim

import (
	"cmp"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"net/http"
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

func (s *Server) sshKey(id int64) (*schema.SSHKey, *apiError) {
	k, ok := s.st.SSHKeys[id]
	if !ok {
		return nil, notFound("ssh_key", id)
	}
	return k, nil
}

func (s *Server) sshKeyNameTaken(name string) bool {
	for _, k := range s.st.SSHKeys {
		if k.Name == name {
			return true
		}
	}
	return false
}

func cloneSSHKey(k *schema.SSHKey) schema.SSHKey {
	v := *k
	v.Labels = labelsOrEmpty(&k.Labels)
	return v
}

func createSSHKey(c *call) (int, any, *apiError) {
	var req schema.SSHKeyCreateRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	if err := checkLabels(req.Labels); err != nil {
		return 0, nil, err
	}
	s := c.s
	if err := s.checkName("SSH key", req.Name, s.sshKeyNameTaken); err != nil {
		return 0, nil, err
	}
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

func getSSHKey(c *call, id int64) (int, any, *apiError) {
	k, err := c.s.sshKey(id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, schema.SSHKeyGetResponse{SSHKey: cloneSSHKey(k)}, nil
}

func listSSHKeys(c *call) (int, any, *apiError) {
	f, err := parseFilter(c)
	if err != nil {
		return 0, nil, err
	}
	fp := c.r.URL.Query().Get("fingerprint")
	var out []schema.SSHKey
	for _, k := range c.s.st.SSHKeys {
		if f.match(k.Name, k.Labels) && (fp == "" || fp == k.Fingerprint) {
			out = append(out, cloneSSHKey(k))
		}
	}
	return listResponse(c, out, map[string]func(a, b schema.SSHKey) int{
		"id":   func(a, b schema.SSHKey) int { return cmp.Compare(a.ID, b.ID) },
		"name": func(a, b schema.SSHKey) int { return cmp.Compare(a.Name, b.Name) },
	}, func(page []schema.SSHKey, meta schema.MetaResponse) any {
		return struct {
			schema.SSHKeyListResponse
			schema.MetaResponse
		}{schema.SSHKeyListResponse{SSHKeys: page}, meta}
	})
}

func updateSSHKey(c *call, id int64) (int, any, *apiError) {
	var req schema.SSHKeyUpdateRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	if err := checkLabels(req.Labels); err != nil {
		return 0, nil, err
	}
	k, err := c.s.sshKey(id)
	if err != nil {
		return 0, nil, err
	}
	if req.Name != "" && req.Name != k.Name {
		if err := c.s.checkName("SSH key", req.Name, c.s.sshKeyNameTaken); err != nil {
			return 0, nil, err
		}
		k.Name = req.Name
	}
	if req.Labels != nil {
		k.Labels = labelsOrEmpty(req.Labels)
	}
	return http.StatusOK, schema.SSHKeyUpdateResponse{SSHKey: cloneSSHKey(k)}, nil
}

func deleteSSHKey(c *call, id int64) (int, any, *apiError) {
	if _, err := c.s.sshKey(id); err != nil {
		return 0, nil, err
	}
	delete(c.s.st.SSHKeys, id)
	return http.StatusNoContent, nil, nil
}
