package hcloudsim

import "net/http"

// actionFunc serves POST /{kind}/{id}/actions/{command}.
type actionFunc = func(c *call, id int64) (int, any, *apiError)

// Whether an action's preamble refuses a resource that a running action
// locks (checkLocked). evenIfLocked commands do not; one of them (a Floating
// IP's assign) checks the lock itself, after validating the target server.
const (
	ifUnlocked   = true
	evenIfLocked = false
)

// noBody is the request of a command that takes no body: whatever the
// client sends is not read.
type noBody struct{}

// command builds the handler of one command of kind k. Its preamble is
// the one every action shares: decode the request into R, look the resource
// up (not_found), and with lock refuse it while another action on it runs.
// do validates, starts the command's actions (c.newAction) and applies the
// change only when they are going to succeed; body is the 201 answer.
func command[T, V, R, A any](k *kindOf[T, V], lock bool, do func(c *call, v *T, req *R) (A, *apiError), body func(c *call, a A) any) actionFunc {
	return func(c *call, id int64) (int, any, *apiError) {
		req := new(R)
		if _, none := any(req).(*noBody); !none {
			if err := c.decode(req); err != nil {
				return 0, nil, err
			}
		}
		v, err := k.find(c.s, id)
		if err != nil {
			return 0, nil, err
		}
		if lock {
			if err := c.s.checkLocked(k.typ, id); err != nil {
				return 0, nil, err
			}
		}
		a, err := do(c, v, req)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, body(c, a), nil
	}
}

// act builds a command that starts one action and answers {"action": ...}.
func act[T, V, R any](k *kindOf[T, V], lock bool, do func(c *call, v *T, req *R) (*actionRec, *apiError)) actionFunc {
	return command(k, lock, do, func(c *call, a *actionRec) any { return actionResponse(a, c.now) })
}

// actAll builds a command that starts any number of actions and answers
// {"actions": [...]}, as the firewall commands do.
func actAll[T, V, R any](k *kindOf[T, V], lock bool, do func(c *call, v *T, req *R) ([]*actionRec, *apiError)) actionFunc {
	return command(k, lock, do, func(_ *call, acts []*actionRec) any { return firewallActionsResponse(acts...) })
}
