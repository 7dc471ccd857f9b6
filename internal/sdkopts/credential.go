package sdkopts

import (
	"context"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// StaticToken hands out one bearer token as is. It serves CI pipelines that
// already hold an ARM token (the provider's access_token) and everything that
// talks to crosscloud-sim, which issues its own token: no identity service is
// ever called. It keeps the token out of anything that prints it.
type StaticToken struct {
	token string
}

var _ azcore.TokenCredential = (*StaticToken)(nil)

// NewStaticToken wraps a bearer token.
func NewStaticToken(token string) *StaticToken {
	return &StaticToken{token: token}
}

// GetToken returns the token with an expiry an hour ahead: the real one is
// unknown here, and azcore only uses it to decide when to ask again, which
// returns the same token.
func (s *StaticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: s.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// String keeps the token out of logs and error messages that print the credential.
func (s *StaticToken) String() string { return "StaticToken(REDACTED)" }

// GoString keeps the token out of %#v output.
func (s *StaticToken) GoString() string { return s.String() }
