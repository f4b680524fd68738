//! `ip -d link show` of a bridge and of a bridge port: iproute2 6.1's
//! bridge_print_opt (ip/iplink_bridge.c) and bridge_slave_print_opt
//! (ip/iplink_bridge_slave.c) on what the model's br_fill_info and
//! br_port_fill_attrs send, against text and JSON captured from real `ip` on
//! Linux 6.18:
//!
//!     ip netns add pj
//!     ip -n pj link add v0 address 02:00:00:00:00:01 type veth \
//!         peer name v1 address 02:00:00:00:00:02
//!     ip -n pj link add br0 type bridge
//!     ip -n pj link set v0 master br0
//!     ip -n pj -d link show v0;  ip -n pj -d -j link show v0   (and br0)
//!
//! (bridge and port down, so every timer is 0.00.)

use ifnet_cli::ip::args::Opts;
use ifnet_cli::ip::print_bridge::br_dump_bridge_id;
use ifnet_cli::ip::print_link::{print_linkinfo, Filter};
use ifnet_cli::session::Session;
use ifnet_core::client::Client;
use ifnet_core::{Kernel, KernelProfile};
use netlink_packet_route::link::{BridgeId, LinkAttribute, LinkMessage};

const BRIDGE_TEXT: &str = "    bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 priority 32768 vlan_filtering 0 bridge_id 8000.2:0:0:0:0:1 designated_root 8000.2:0:0:0:0:1 root_port 0 root_path_cost 0 topology_change 0 topology_change_detected 0 hello_timer    0.00 tcn_timer    0.00 topology_change_timer    0.00 gc_timer    0.00 group_fwd_mask 0 group_address 01:80:c2:00:00:00 mcast_snooping 1 no_linklocal_learn 0 mcast_vlan_snooping 0 mcast_router 1 mcast_query_use_ifaddr 0 mcast_querier 0 mcast_hash_elasticity 16 mcast_hash_max 4096 mcast_last_member_count 2 mcast_startup_query_count 2 mcast_last_member_interval 100 mcast_membership_interval 26000 mcast_querier_interval 25500 mcast_query_interval 12500 mcast_query_response_interval 1000 mcast_startup_query_interval 3124 mcast_stats_enabled 0 mcast_igmp_version 2 mcast_mld_version 1 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 ";

const SLAVE_TEXT: &str = "    bridge_slave state disabled priority 32 cost 2 hairpin off guard off root_block off fastleave off learning on flood on port_id 0x8001 port_no 0x1 designated_port 32769 designated_cost 0 designated_bridge 8000.2:0:0:0:0:1 designated_root 8000.2:0:0:0:0:1 hold_timer    0.00 message_age_timer    0.00 forward_delay_timer    0.00 topology_change_ack 0 config_pending 0 proxy_arp off proxy_arp_wifi off mcast_router 1 mcast_fast_leave off mcast_flood on bcast_flood on mcast_to_unicast off neigh_suppress off group_fwd_mask 0 group_fwd_mask_str 0x0 vlan_tunnel off isolated off locked off ";

const BRIDGE_JSON: &str = r#""linkinfo":{"info_kind":"bridge","info_data":{"forward_delay":1500,"hello_time":200,"max_age":2000,"ageing_time":30000,"stp_state":0,"priority":32768,"vlan_filtering":0,"bridge_id":"8000.2:0:0:0:0:1","root_id":"8000.2:0:0:0:0:1","root_port":0,"root_path_cost":0,"topology_change":0,"topology_change_detected":0,"hello_timer":0.00,"tcn_timer":0.00,"topology_change_timer":0.00,"gc_timer":0.00,"group_fwd_mask":"0","group_addr":"01:80:c2:00:00:00","mcast_snooping":1,"no_linklocal_learn":0,"mcast_vlan_snooping":0,"mcast_router":1,"mcast_query_use_ifaddr":0,"mcast_querier":0,"mcast_hash_elasticity":16,"mcast_hash_max":4096,"mcast_last_member_cnt":2,"mcast_startup_query_cnt":2,"mcast_last_member_intvl":100,"mcast_membership_intvl":26000,"mcast_querier_intvl":25500,"mcast_query_intvl":12500,"mcast_query_response_intvl":1000,"mcast_startup_query_intvl":3124,"mcast_stats_enabled":0,"mcast_igmp_version":2,"mcast_mld_version":1,"nf_call_iptables":0,"nf_call_ip6tables":0,"nf_call_arptables":0}},"#;

const SLAVE_JSON: &str = r#""linkinfo":{"info_kind":"veth","info_slave_kind":"bridge","info_slave_data":{"state":"disabled","priority":32,"cost":2,"hairpin":false,"guard":false,"root_block":false,"fastleave":false,"learning":true,"flood":true,"id":"0x8001","no":"0x1","designated_port":32769,"designated_cost":0,"bridge_id":"8000.2:0:0:0:0:1","root_id":"8000.2:0:0:0:0:1","hold_timer":0.00,"message_age_timer":0.00,"forward_delay_timer":0.00,"topology_change_ack":0,"config_pending":0,"proxy_arp":false,"proxy_arp_wifi":false,"multicast_router":1,"mcast_flood":true,"bcast_flood":true,"mcast_to_unicast":false,"neigh_suppress":false,"group_fwd_mask":"0","group_fwd_mask_str":"0x0","vlan_tunnel":false,"isolated":false,"locked":false}}"#;

/// The model in the captured state; returns the kernel and the messages of
/// v0 and br0 as a dump gives them.
fn captured_state() -> (Kernel, LinkMessage, LinkMessage) {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "v1").unwrap();
    c.set("v0", vec![LinkAttribute::Address(vec![2, 0, 0, 0, 0, 1])])
        .unwrap();
    c.set("v1", vec![LinkAttribute::Address(vec![2, 0, 0, 0, 0, 2])])
        .unwrap();
    c.add_bridge("br0").unwrap();
    c.set_master("v0", Some("br0")).unwrap();
    let v0 = c.get("v0").unwrap();
    let br0 = c.get("br0").unwrap();
    k.run_until_idle();
    (k, v0, br0)
}

fn print(k: &Kernel, lm: &LinkMessage, json: bool) -> String {
    let init = k.init_net();
    let mut s = Session::new(
        k.clone(),
        init,
        Opts {
            details: 1,
            json,
            ..Default::default()
        },
    );
    let f = Filter {
        do_link: true,
        showqueue: true,
        ..Default::default()
    };
    if json {
        s.p.new_json_obj();
        s.p.open_object(None);
    }
    print_linkinfo(&mut s, lm, false, &f);
    if json {
        s.p.close_object();
        s.p.delete_json_obj();
    }
    String::from_utf8_lossy(&s.p.out).into_owned()
}

/// `out` has a line beginning with `prefix`, and that line begins with
/// `want` (what ip printed).
fn assert_line_starts(out: &str, prefix: &str, want: &str) {
    let line = out
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} line in {out}"));
    assert!(line.starts_with(want), "\n  got: {line}\n want: {want}…");
}

/// bridge_print_opt(): every IFLA_BR_* of br_fill_info in ip's order and
/// format — timers "%4i.%.2i", group_fwd_mask via print_0xhex, the root id
/// printed from IFLA_BR_BRIDGE_ID (iproute2 6.1 does).
#[test]
fn bridge_print_opt_text_matches_ip() {
    let (k, _, br0) = captured_state();
    let out = print(&k, &br0, false);
    assert_line_starts(&out, "    bridge ", BRIDGE_TEXT);
}

/// bridge_slave_print_opt(): the port line, with mcast_fast_leave printed in
/// text only, port id/no in hex, the group_fwd_mask string.
#[test]
fn bridge_slave_print_opt_text_matches_ip() {
    let (k, v0, _) = captured_state();
    let out = print(&k, &v0, false);
    assert_line_starts(&out, "    bridge_slave ", SLAVE_TEXT);
    // The veth kind line stays as it was: "    veth " and a new line.
    assert!(out.contains("\n    veth \n    bridge_slave "), "{out}");
}

/// The JSON of both: same keys in the same order, timers unquoted,
/// print_0xhex values and bridge ids as strings, on/off as booleans.
#[test]
fn bridge_print_opts_json_match_ip() {
    let (k, v0, br0) = captured_state();
    let out = print(&k, &br0, true);
    assert!(
        out.contains(BRIDGE_JSON),
        "\n  got: {out}\n want: …{BRIDGE_JSON}…"
    );
    let out = print(&k, &v0, true);
    assert!(
        out.contains(SLAVE_JSON),
        "\n  got: {out}\n want: …{SLAVE_JSON}…"
    );
}

/// br_dump_bridge_id(): "%.2x%.2x." then ether_ntoa_r's unpadded hex.
#[test]
fn br_dump_bridge_id_format() {
    let id = BridgeId {
        priority: 0x8000,
        address: [0x02, 0x0a, 0, 0xff, 0x10, 0x01],
    };
    assert_eq!(br_dump_bridge_id(&id), "8000.2:a:0:ff:10:1");
    let id = BridgeId {
        priority: 0x0010,
        address: [0; 6],
    };
    assert_eq!(br_dump_bridge_id(&id), "0010.0:0:0:0:0:0");
}
