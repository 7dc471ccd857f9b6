package ipseclink

import "strings"

// Names of a link's sub-resources. Everything is prefixed by the link name
// so that a re-run finds and adopts what an interrupted run created, and
// import recovers the link name from the connection's name; these functions
// are the one spelling of each suffix for the graph, Read and import alike.
func serverName(link string) string    { return link + "-gw" }
func primaryIPName(link string) string { return link + "-gw-ipv4" }
func firewallName(link string) string  { return link + "-gw-fw" }
func publicIPName(link string) string  { return link + "-vgw-pip" }
func gatewayName(link string) string   { return link + "-vgw" }
func lngName(link string) string       { return link + "-lng" }
func connName(link string) string      { return link + connSuffix }

// High availability adds these.
func standbyServerName(link string) string  { return link + "-gw-b" }
func placementGroupName(link string) string { return link + "-gw-spread" }

func floatingIPName(link string) string { return link + "-gw-fip" }
func secondPublicIPName(link string) string {
	return link + "-vgw-pip2"
}

const connSuffix = "-conn"

// linkNameFromConnection recovers the link name from its connection's name.
func linkNameFromConnection(conn string) (string, bool) {
	return strings.CutSuffix(conn, connSuffix)
}
