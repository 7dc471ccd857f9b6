package cloudinit

import (
	"fmt"
	"slices"
	"strings"
)

// keepalivedConf renders the VRRP instance. keepalived 2.2.7 (Debian 12)
// refuses an instance without an interface or without a virtual address
// ("Unknown interface!", "No VIP specified", seen with --config-test,
// docs/facts/hetzner.md), although newer manuals allow omitting the interface
// with unicast peers. The NICs' names differ (eth1 in the lab, enp7s0 or
// ens10 on Hetzner), so they come from an include file the keepalived unit
// writes before every start (keepalivedDropIn). The virtual address is the
// Floating IP on the public interface: Hetzner routes it to the server but
// the OS must configure it (Hetzner tutorial "Floating IPs"), and keepalived
// adds it on becoming MASTER and removes it otherwise, before the notify
// script runs.
func keepalivedConf(g Gateway) string {
	h := g.HA
	notify := func(state string) string { return fmt.Sprintf("\"%s %s\"", FailoverScriptPath, state) }
	var w confWriter
	w.line("# crosscloud: elects the active gateway of the pair over the Hetzner network (unicast VRRP:")
	w.line("# Hetzner networks carry no multicast). The notify script moves the Floating IP and the route.")
	w.line("# " + keepalivedIfacesPath + " defines $PRIVATE_IF and $PUBLIC_IF; it is written before every start.")
	w.line("include " + keepalivedIfacesPath)
	w.open("global_defs")
	w.line("script_user root")
	w.line("enable_script_security")
	w.close()
	w.open("vrrp_instance crosscloud")
	// Both start BACKUP: nopreempt requires it, and the higher priority
	// wins the first election after 3 adverts.
	w.line("state BACKUP")
	w.line("nopreempt")
	w.line("interface $PRIVATE_IF")
	w.line(fmt.Sprintf("priority %d", h.Priority))
	w.line(fmt.Sprintf("virtual_router_id %d", VirtualRouterID))
	w.line("advert_int 1")
	w.line("unicast_src_ip " + h.PrivateIP.Unmap().String())
	w.open("unicast_peer")
	w.line(h.PeerPrivateIP.Unmap().String())
	w.close()
	w.open("virtual_ipaddress")
	w.line(h.FloatingIP.Unmap().String() + "/32 dev $PUBLIC_IF")
	w.close()
	w.line("notify_master " + notify("master"))
	w.line("notify_backup " + notify("backup"))
	w.line("notify_fault " + notify("fault"))
	w.line("notify_stop " + notify("stop"))
	w.close()
	return w.String()
}

// keepalivedIfacesPath is the include file with the detected NIC names; under
// /run because it is regenerated on every start.
const keepalivedIfacesPath = "/run/crosscloud/keepalived-interfaces.conf"

// KeepalivedDropInPath makes keepalived.service detect the interfaces first.
const KeepalivedDropInPath = "/etc/systemd/system/" + KeepalivedUnitName + ".d/10-crosscloud-interfaces.conf"

// keepalivedDropIn runs the script's interface detection before every
// start; it waits for the private address, which Hetzner's DHCP may
// configure after the unit's ordering point.
const keepalivedDropIn = `[Unit]
Wants=network-online.target
After=network-online.target

[Service]
ExecStartPre=` + FailoverScriptPath + ` interfaces
`

// curlConfig is the token file: a curl config with the Authorization
// header. Validate has refused quotes and backslashes, the only characters
// curl would interpret inside the quoted value.
func curlConfig(h *HA) string {
	return "# crosscloud: the Hetzner API token the failover script sends; root-only.\n" +
		"header = \"Authorization: Bearer " + string(h.APIToken) + "\"\n"
}

// failoverScript renders the notify script. Every value it embeds was
// validated (addresses, IDs, prefixes, an endpoint without quotes), so the
// single-quoted assignments at the top cannot be broken out of.
func failoverScript(g Gateway) string {
	h := g.HA
	dests := make([]string, len(h.RouteDestinations))
	for i, p := range h.RouteDestinations {
		dests[i] = p.String()
	}
	vars := fmt.Sprintf("API='%s'\nCURLRC='%s'\nFLOATING_IP='%s'\nFLOATING_IP_ID=%d\nNETWORK_ID=%d\nSELF_IP='%s'\nDESTINATIONS='%s'\nUNIT='%s'\nKEEPALIVED_UNIT='%s'\nREADY_LABEL='%s'\nIFACES_FILE='%s'\n",
		h.endpoint(), APITokenPath, h.FloatingIP.Unmap(), h.FloatingIPID, h.NetworkID, h.PrivateIP.Unmap(),
		strings.Join(dests, " "), StrongswanUnitName, KeepalivedUnitName, ReadyLabel, keepalivedIfacesPath)
	return failoverHead + vars + failoverBody
}

const failoverHead = `#!/bin/sh
# crosscloud: keepalived runs this on every VRRP state change of the gateway pair.
#   interfaces: (keepalived's ExecStartPre) name the private and public NICs for keepalived.conf.
#   master: (keepalived has put the Floating IP on the public interface) assign it to this
#           server and, once the assign has finished, restart charon so it initiates from it;
#           meanwhile move the network routes here.
#   backup, fault, stop: stop charon; the new active gateway claims the address and the routes.
#   ready: (cloud-init's last command) label this server ready once keepalived runs, so an apply
#          that rolls the pair replaces the active gateway only when this one can take over.
# The API token is read by curl from $CURLRC; it is never on a command line or in the log.
set -u
`

// failoverBody is the script's logic. Moving a route is delete_route then
// add_route (Hetzner has no change call); the loop re-reads the network
// each time, so `locked` while the delete runs, a lost answer or a
// concurrent move all converge. A route is only "in place" while no action
// runs on the network: at first boot both servers pass through MASTER, and
// the other's delete_route of this route may still be running (the lab
// saw it land after this server had found the route and stopped, leaving
// no route at all). floating_ip_assigned is checked against the
// holder, because whether Hetzner answers it for the current holder only is
// unverified (docs/facts/hetzner.md).
const failoverBody = `STATE_FILE=/run/crosscloud-failover.state
LOCK_FILE=/run/crosscloud-failover.lock
INSTANCE_ID_FILE=/var/lib/cloud/data/instance-id
ATTEMPTS=60
ACTION_WAIT=30
# Fractions of a second: GNU coreutils' and busybox's sleep accept them.
ACTION_POLL=0.5
BODY=$(mktemp) || exit 1
trap 'rm -f "$BODY"' EXIT

log() { logger -t crosscloud-failover -- "$*" 2>/dev/null || echo "crosscloud-failover: $*" >&2; }

# api METHOD PATH [JSON]: prints the HTTP status ("000" when unreachable); the body goes to $BODY.
api() {
	if [ $# -ge 3 ]; then
		curl --config "$CURLRC" --silent --max-time 10 --output "$BODY" --write-out '%{http_code}' \
			--request "$1" --header 'Content-Type: application/json' --data "$3" "$API$2"
	else
		curl --config "$CURLRC" --silent --max-time 10 --output "$BODY" --write-out '%{http_code}' \
			--request "$1" "$API$2"
	fi
}

# json EXPR: evaluates a Python expression over the last body (j); empty on any error.
json() {
	python3 -c 'import json,sys
try:
    j = json.load(open(sys.argv[1])); v = eval(sys.argv[2])
    print("" if v is None else v)
except Exception:
    pass' "$BODY" "$1" 2>/dev/null
}

error_code() { json 'j["error"]["code"]'; }

still_master() { [ "$(cat "$STATE_FILE" 2>/dev/null)" = master ]; }

public_interface() { ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}'; }

assign_floating_ip() {
	server=$(cat "$INSTANCE_ID_FILE" 2>/dev/null)
	case "$server" in ''|*[!0-9]*) log "no server ID in $INSTANCE_ID_FILE; cannot claim the Floating IP"; return 1;; esac
	n=0
	while [ $n -lt $ATTEMPTS ] && still_master; do
		n=$((n + 1))
		code=$(api POST "/floating_ips/$FLOATING_IP_ID/actions/assign" "{\"server\":$server}")
		if [ "$code" = 201 ]; then
			action=$(json 'j["action"]["id"]')
			log "assigning Floating IP $FLOATING_IP to this server ($server): action ${action:-?} started"
			wait_assign "$action" && log "Floating IP $FLOATING_IP assigned to this server ($server)"
			return 0
		fi
		err=$(error_code)
		if [ "$err" = floating_ip_assigned ]; then
			api GET "/floating_ips/$FLOATING_IP_ID" >/dev/null
			holder=$(json 'j["floating_ip"]["server"]')
			if [ "$holder" = "$server" ]; then
				log "Floating IP $FLOATING_IP already assigned to this server ($server)"
				return 0
			fi
			log "Floating IP $FLOATING_IP is held by server $holder; unassigning it first"
			api POST "/floating_ips/$FLOATING_IP_ID/actions/unassign" '{}' >/dev/null
		else
			log "assigning Floating IP $FLOATING_IP: HTTP $code $err; retrying"
		fi
		sleep 1
	done
	return 1
}

# wait_assign ACTION: waits for the assign action to finish, because Hetzner
# routes the address to this server only then (docs/facts/hetzner.md,
# "Floating IP failover"): a charon started at the 201 sends IKE_SA_INIT from
# an address whose answers still go to the old holder, and retransmits only
# after about 4 s. It polls GET /floating_ips/actions/{id} (hcloud-go's
# resource-scoped path) for at most ACTION_WAIT seconds, while still master;
# on an error or a timeout it logs and returns 1, and charon starts anyway.
wait_assign() {
	case "$1" in ''|*[!0-9]*) log "the assign answer named no action; not waiting for it"; return 1;; esac
	end=$(($(date +%s) + ACTION_WAIT))
	while still_master; do
		code=$(api GET "/floating_ips/actions/$1")
		status=$(json 'j["action"]["status"]')
		if [ "$code" = 200 ] && [ "$status" = success ]; then
			return 0
		fi
		if [ "$code" = 200 ] && [ "$status" = error ]; then
			log "assign action $1 failed: $(json 'j["action"]["error"]["code"]'): $(json 'j["action"]["error"]["message"]'); restarting charon anyway"
			return 1
		fi
		if [ "$(date +%s)" -ge "$end" ]; then
			log "assign action $1 is still ${status:-unknown} (HTTP $code) after $ACTION_WAIT s; restarting charon anyway"
			return 1
		fi
		sleep "$ACTION_POLL"
	done
	return 1
}

# move_route DEST: makes the network route DEST point at this server.
move_route() {
	n=0
	while [ $n -lt $ATTEMPTS ] && still_master; do
		n=$((n + 1))
		code=$(api GET "/networks/$NETWORK_ID")
		if [ "$code" != 200 ]; then
			log "reading network $NETWORK_ID: HTTP $code $(error_code); retrying"
			sleep 1
			continue
		fi
		cur=$(json '[r["gateway"] for r in j["network"]["routes"] if r["destination"] == "'"$1"'"][0]')
		if [ "$cur" = "$SELF_IP" ]; then
			# The other server may have sent a delete_route of this very
			# route as it passed through MASTER (both do at first boot);
			# it lands when its action finishes. In place means in place
			# with no action still running on the network.
			code=$(api GET "/networks/$NETWORK_ID/actions?status=running")
			running=$(json 'len(j["actions"])')
			if [ "$code" = 200 ] && [ "$running" = 0 ]; then
				log "route $1 via $SELF_IP is in place"
				return 0
			fi
			log "route $1 via $SELF_IP is there, but the network has running actions (HTTP $code, ${running:-?}); checking again"
			sleep 1
			continue
		fi
		if [ -n "$cur" ]; then
			code=$(api POST "/networks/$NETWORK_ID/actions/delete_route" "{\"destination\":\"$1\",\"gateway\":\"$cur\"}")
			case "$code" in
			201|404) ;;
			*) log "delete_route $1 via $cur: HTTP $code $(error_code); retrying"; sleep 1; continue;;
			esac
		fi
		code=$(api POST "/networks/$NETWORK_ID/actions/add_route" "{\"destination\":\"$1\",\"gateway\":\"$SELF_IP\"}")
		if [ "$code" = 201 ]; then
			log "route $1 moved to $SELF_IP (was ${cur:-none})"
			return 0
		fi
		# locked: the delete_route action still runs; the next pass re-reads.
		log "add_route $1 via $SELF_IP: HTTP $code $(error_code); retrying"
		sleep 1
	done
	return 1
}

# mark_ready: adds the ready label to this server's labels (a PUT replaces them
# all, so the current ones are read first and kept).
mark_ready() {
	server=$(cat "$INSTANCE_ID_FILE" 2>/dev/null)
	case "$server" in ''|*[!0-9]*) log "no server ID in $INSTANCE_ID_FILE; cannot report ready"; return 1;; esac
	if ! systemctl is-active --quiet "$KEEPALIVED_UNIT"; then
		log "$KEEPALIVED_UNIT is not running; not reporting ready"
		return 1
	fi
	n=0
	while [ $n -lt $ATTEMPTS ]; do
		n=$((n + 1))
		code=$(api GET "/servers/$server")
		if [ "$code" = 200 ]; then
			labels=$(json 'json.dumps({**j["server"]["labels"], "'"$READY_LABEL"'": "true"})')
			code=$(api PUT "/servers/$server" "{\"labels\":$labels}")
			if [ "$code" = 200 ]; then
				log "reported ready ($READY_LABEL on server $server)"
				return 0
			fi
		fi
		log "reporting ready: HTTP $code $(error_code); retrying"
		sleep 1
	done
	return 1
}

# interfaces: finds the NIC holding this server's private IP and the one of the
# default route, waiting for DHCP, and writes them as keepalived variables.
interfaces() {
	n=0
	while :; do
		priv=$(ip -4 -o addr show | awk -v ip="$SELF_IP" '{ split($4, a, "/"); if (a[1] == ip) { print $2; exit } }')
		pub=$(public_interface)
		[ -n "$priv" ] && [ -n "$pub" ] && break
		n=$((n + 1))
		if [ $n -ge $ATTEMPTS ]; then
			log "no interface holds $SELF_IP (private: '$priv', public: '$pub'); keepalived cannot start"
			exit 1
		fi
		sleep 1
	done
	mkdir -p "${IFACES_FILE%/*}"
	printf '$PRIVATE_IF=%s\n$PUBLIC_IF=%s\n' "$priv" "$pub" > "$IFACES_FILE"
	log "private interface $priv, public interface $pub"
}

state=${1:-}
if [ "$state" = interfaces ]; then
	interfaces
	exit 0
fi
if [ "$state" = ready ]; then
	mark_ready
	exit
fi
case "$state" in
master|backup|fault|stop) ;;
*) echo "usage: $0 interfaces|ready|master|backup|fault|stop" >&2; exit 2;;
esac
# The state is written before the lock is taken, so a master still looping
# on the API sees a newer transition and stops claiming.
echo "$state" > "$STATE_FILE.tmp" && mv "$STATE_FILE.tmp" "$STATE_FILE"
exec 9>"$LOCK_FILE"
flock 9
# A newer transition arrived while this one waited for the lock: it wins.
[ "$(cat "$STATE_FILE" 2>/dev/null)" = "$state" ] || exit 0
log "VRRP state: $state"
if [ "$state" = master ]; then
	# The routes do not need the address, and the network's actions do not
	# lock the Floating IP: they move in a subshell (its own body file)
	# while the assign runs, so waiting for the assign does not delay them.
	# Charon starts once the address routes here; the lock is held until both end.
	(
		BODY=$(mktemp) || exit 1
		trap 'rm -f "$BODY"' EXIT
		for d in $DESTINATIONS; do
			move_route "$d" || log "could not move the route $d to this server"
		done
	) &
	routes=$!
	assign_floating_ip || log "could not claim the Floating IP; the tunnel stays down until it is assigned here"
	still_master && systemctl restart "$UNIT"
	wait "$routes"
else
	systemctl stop "$UNIT"
fi
exit 0
`

// haPackages are what HA mode installs on top of packages. curl is on
// Hetzner's Debian images already (unverified) but not in minimal ones such
// as the lab's; listing it costs nothing where it is present.
var haPackages = []string{"keepalived", "curl"}

// addHA turns the single-gateway cloud-config into one of a pair: keepalived
// and its notify script, the token file, and charon handed over to
// keepalived (disabled at boot, started by the script on the active server
// only, so the standby never negotiates from an address it does not hold).
func addHA(cc *cloudConfig, g Gateway) {
	cc.Packages = append(slices.Clone(cc.Packages), haPackages...)
	cc.WriteFiles = append(cc.WriteFiles,
		writeFile{Path: KeepalivedConfPath, Content: keepalivedConf(g), Owner: "root:root", Permissions: "0644"},
		writeFile{Path: KeepalivedDropInPath, Content: keepalivedDropIn, Owner: "root:root", Permissions: "0644"},
		writeFile{Path: FailoverScriptPath, Content: failoverScript(g), Owner: "root:root", Permissions: "0755"},
		// 0600: the file holds the API token.
		writeFile{Path: APITokenPath, Content: curlConfig(g.HA), Owner: "root:root", Permissions: "0600"},
	)
	cc.RunCmd = [][]string{
		{"sysctl", "--system"},
		{"systemctl", "daemon-reload"},
		{"systemctl", "enable", "--now", MSSUnitName},
		// The package starts charon on install; from now on only the
		// notify script starts it, and only on the active server.
		{"systemctl", "disable", StrongswanUnitName},
		{"systemctl", "enable", KeepalivedUnitName},
		// keepalived's package may have started it before runcmd; a
		// restart runs notify_backup (stopping charon) and a fresh election.
		{"systemctl", "restart", KeepalivedUnitName},
		// Last: the label that lets a rolling apply replace the other
		// server (ReadyLabel).
		{FailoverScriptPath, "ready"},
	}
}
