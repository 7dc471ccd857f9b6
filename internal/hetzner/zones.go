package hetzner

// LocationZones maps Hetzner Cloud locations to their network zone. A
// server can only join a subnet of its own zone, so a link whose
// network_zone does not match its location would fail at apply, after the
// 45-minute Azure gateway was started; checking it at plan avoids that.
// Source: https://docs.hetzner.com/cloud/networks/faq (eu-central, us-east,
// us-west, ap-southeast). A location missing here is accepted as is: new
// locations appear, and the API itself has the last word.
var LocationZones = map[string]string{
	"nbg1": "eu-central",
	"fsn1": "eu-central",
	"hel1": "eu-central",
	"ash":  "us-east",
	"hil":  "us-west",
	"sin":  "ap-southeast",
}
