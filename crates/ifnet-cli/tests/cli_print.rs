//! Printer golden tests built from LinkMessages: each pins the iproute2 6.1
//! printing function (print_linkinfo, print_link_flags, print_name_and_link,
//! print_linktype, print_stats64) against text captured from real `ip`.

use ifnet_cli::ip::args::Opts;
use ifnet_cli::ip::print_link::{print_linkinfo, Filter};
use ifnet_cli::session::Session;
use ifnet_core::{Kernel, KernelProfile};
use netlink_packet_route::link::{
    InfoKind, LinkAttribute, LinkFlags, LinkInfo, LinkLayerType, LinkMessage, LinkMode, State,
    Stats64,
};

fn session(opts: Opts) -> Session {
    let k = Kernel::new(KernelProfile::preset("latest").unwrap());
    let net = k.init_net();
    Session::new(k, net, opts)
}

fn link_filter() -> Filter {
    Filter {
        showqueue: true,
        do_link: true,
        ..Default::default()
    }
}

/// v0@v1 as `ip link` shows a veth end enslaved to br0 (flags down).
fn veth_msg(peer: u32, master: Option<u32>) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.header.index = 4;
    m.header.link_layer_type = LinkLayerType::Ether;
    m.header.flags = LinkFlags::from_bits_retain(0x1002);
    m.attributes = vec![
        LinkAttribute::IfName("v0".into()),
        LinkAttribute::TxQueueLen(1000),
        LinkAttribute::OperState(State::Down),
        LinkAttribute::Mode(LinkMode::Default),
        LinkAttribute::Mtu(1500),
        LinkAttribute::Group(0),
        LinkAttribute::Link(peer),
        LinkAttribute::Qdisc("noop".into()),
        LinkAttribute::Address(vec![0x62, 0x44, 0xe6, 0xbd, 0x57, 0xef]),
        LinkAttribute::Broadcast(vec![0xff; 6]),
        LinkAttribute::IfAlias("hello world".into()),
    ];
    if let Some(mi) = master {
        m.attributes.push(LinkAttribute::Controller(mi));
    }
    m
}

fn text(s: &Session) -> String {
    String::from_utf8_lossy(&s.p.out).into_owned()
}

#[test]
fn print_linkinfo_text_matches_ip() {
    // print_linkinfo(): field order mtu, qdisc, master, state, mode, group,
    // qlen; link/ether ... brd ...; alias on its own line. Unknown peer and
    // master indexes print as "ifN" (ll_index_to_name fallback).
    let mut s = session(Opts::default());
    print_linkinfo(&mut s, &veth_msg(77, Some(78)), false, &link_filter());
    assert_eq!(
        text(&s),
        "4: v0@if77: <BROADCAST,MULTICAST> mtu 1500 qdisc noop master if78 state DOWN mode DEFAULT group default qlen 1000\n    link/ether 62:44:e6:bd:57:ef brd ff:ff:ff:ff:ff:ff\n    alias hello world\n"
    );
}

#[test]
fn print_name_and_link_none_and_netnsid() {
    // print_name_and_link(): IFLA_LINK 0 is "@NONE"; with IFLA_LINK_NETNSID
    // the peer is "@ifN" and JSON gets link_index + link_netnsid.
    let mut s = session(Opts::default());
    let mut m = veth_msg(0, None);
    m.attributes
        .retain(|a| !matches!(a, LinkAttribute::IfAlias(_)));
    print_linkinfo(&mut s, &m, true, &Filter::default());
    assert_eq!(
        text(&s),
        "Deleted 4: v0@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default \n    link/ether 62:44:e6:bd:57:ef brd ff:ff:ff:ff:ff:ff\n"
    );
    let mut s = session(Opts {
        json: true,
        ..Default::default()
    });
    let mut m = veth_msg(2, None);
    m.attributes
        .retain(|a| !matches!(a, LinkAttribute::IfAlias(_)));
    m.attributes.push(LinkAttribute::LinkNetNsId(0));
    s.p.new_json_obj();
    s.p.open_object(None);
    print_linkinfo(&mut s, &m, false, &link_filter());
    s.p.close_object();
    s.p.delete_json_obj();
    assert_eq!(
        text(&s),
        "[{\"ifindex\":4,\"link_index\":2,\"ifname\":\"v0\",\"flags\":[\"BROADCAST\",\"MULTICAST\"],\"mtu\":1500,\"qdisc\":\"noop\",\"operstate\":\"DOWN\",\"linkmode\":\"DEFAULT\",\"group\":\"default\",\"txqlen\":1000,\"link_type\":\"ether\",\"address\":\"62:44:e6:bd:57:ef\",\"broadcast\":\"ff:ff:ff:ff:ff:ff\",\"link_netnsid\":0}]\n"
    );
}

#[test]
fn print_link_flags_order_and_no_carrier() {
    // print_link_flags(): NO-CARRIER first when UP without RUNNING; ip's
    // fixed order; unknown bits in hex.
    let mut s = session(Opts::default());
    ifnet_cli::ip::print_link::print_link_flags(&mut s, 0x1 | 0x2 | 0x1000 | 0x800, true);
    assert_eq!(
        text(&s),
        "<NO-CARRIER,BROADCAST,MULTICAST,SLAVE,UP,M-DOWN> "
    );
    let mut s = session(Opts::default());
    ifnet_cli::ip::print_link::print_link_flags(&mut s, 0x1 | 0x40 | 0x10000 | 0x8, false);
    assert_eq!(text(&s), "<LOOPBACK,UP,LOWER_UP> ");
}

#[test]
fn print_linktype_details_veth() {
    // print_linkinfo() -d: promiscuity/allmulti (double space), min/max
    // mtu, then print_linktype()'s "    veth " line.
    let mut s = session(Opts {
        details: 1,
        ..Default::default()
    });
    let mut m = veth_msg(77, None);
    m.attributes
        .retain(|a| !matches!(a, LinkAttribute::IfAlias(_)));
    m.attributes.extend([
        LinkAttribute::Promiscuity(0),
        LinkAttribute::AllMulticast(0),
        LinkAttribute::MinMtu(68),
        LinkAttribute::MaxMtu(65535),
        LinkAttribute::LinkInfo(vec![LinkInfo::Kind(InfoKind::Veth)]),
        LinkAttribute::NumTxQueues(1),
    ]);
    print_linkinfo(&mut s, &m, false, &link_filter());
    assert!(text(&s).ends_with(
        "brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 \n    veth numtxqueues 1 \n"
    ), "{}", text(&s));
}

#[test]
fn print_stats64_text_columns() {
    // print_stats64(): column widths from size_columns(), -s and -s -s.
    let mut s = session(Opts {
        stats: 2,
        ..Default::default()
    });
    let mut m = veth_msg(77, None);
    m.attributes
        .retain(|a| !matches!(a, LinkAttribute::IfAlias(_)));
    let mut st = Stats64::default();
    st.rx_bytes = 90;
    st.rx_packets = 1;
    st.tx_bytes = 90;
    st.tx_packets = 1;
    st.tx_dropped = 1;
    m.attributes.push(LinkAttribute::Stats64(st));
    m.attributes.push(LinkAttribute::CarrierChanges(1));
    print_linkinfo(&mut s, &m, false, &link_filter());
    let want = "    RX:  bytes packets errors dropped  missed   mcast           \n\
                \x20           90       1      0       0       0       0 \n\
                \x20   RX errors:  length    crc   frame    fifo overrun\n\
                \x20                    0      0       0       0       0 \n\
                \x20   TX:  bytes packets errors dropped carrier collsns           \n\
                \x20           90       1      0       1       0       0 \n\
                \x20   TX errors: aborted   fifo  window heartbt transns\n\
                \x20                    0      0       0       0       1 \n";
    assert!(text(&s).ends_with(want), "{}", text(&s));
}

#[test]
fn print_linkinfo_json_pretty() {
    // json_writer.c pretty mode as `ip -j -p link show`.
    let mut s = session(Opts {
        json: true,
        pretty: true,
        ..Default::default()
    });
    let mut m = veth_msg(77, None);
    m.attributes
        .retain(|a| !matches!(a, LinkAttribute::Address(_) | LinkAttribute::Broadcast(_)));
    s.p.new_json_obj();
    s.p.open_object(None);
    print_linkinfo(&mut s, &m, false, &link_filter());
    s.p.close_object();
    s.p.delete_json_obj();
    assert_eq!(
        text(&s),
        "[ {\n        \"ifindex\": 4,\n        \"link\": \"if77\",\n        \"ifname\": \"v0\",\n        \"flags\": [ \"BROADCAST\",\"MULTICAST\" ],\n        \"mtu\": 1500,\n        \"qdisc\": \"noop\",\n        \"operstate\": \"DOWN\",\n        \"linkmode\": \"DEFAULT\",\n        \"group\": \"default\",\n        \"txqlen\": 1000,\n        \"link_type\": \"ether\",\n        \"ifalias\": \"hello world\"\n    } ]\n"
    );
}
