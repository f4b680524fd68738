//! Parser tests: each pins the iproute2 6.1 function whose behaviour it
//! copies (iplink_parse, iplink_modify, veth_parse_opt, do_iplink, main).

use ifnet_cli::ip::args::Opts;
use ifnet_cli::ip::link_parse::{iplink_modify, iplink_parse, Cmd};
use ifnet_cli::session::Session;
use ifnet_cli::Abort;
use ifnet_core::{Kernel, KernelProfile};
use netlink_packet_route::link::{LinkAttribute, LinkMessage};

fn session() -> Session {
    let k = Kernel::new(KernelProfile::preset("latest").unwrap());
    let net = k.init_net();
    Session::new(k, net, Opts::default())
}

fn w(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

fn err(s: &Session) -> String {
    String::from_utf8_lossy(&s.err).into_owned()
}

fn add_veth(s: &mut Session) {
    assert_eq!(
        iplink_modify(s, Cmd::Add, &w("v0 type veth peer v1")),
        Ok(0),
        "{}",
        err(s)
    );
}

#[test]
fn iplink_parse_up_sets_change_mask_and_ifindex() {
    // iplink_parse(): "up" sets IFF_UP in ifi_change and ifi_flags; a set
    // resolves the device to ifi_index (no IFLA_IFNAME).
    let mut s = session();
    add_veth(&mut s);
    let mut m = LinkMessage::default();
    iplink_parse(&mut s, &w("dev v0 up mtu 1400"), &mut m, false).unwrap();
    assert_eq!(m.header.change_mask.bits(), 1);
    assert_eq!(m.header.flags.bits(), 1);
    assert_ne!(m.header.index, 0);
    assert_eq!(m.attributes, vec![LinkAttribute::Mtu(1400)]);
}

#[test]
fn iplink_parse_rename_adds_ifname_last() {
    // iplink_parse(): "name N" on an existing device becomes IFLA_IFNAME,
    // appended after the other attributes.
    let mut s = session();
    add_veth(&mut s);
    let mut m = LinkMessage::default();
    iplink_parse(&mut s, &w("v0 name v9 nomaster"), &mut m, false).unwrap();
    assert_eq!(
        m.attributes,
        vec![
            LinkAttribute::Controller(0),
            LinkAttribute::IfName("v9".into())
        ]
    );
}

#[test]
fn iplink_parse_abbreviations_follow_matches() {
    // matches(): "a" is "address" (so "ip link add a type veth" fails as in
    // ip), "m" is "master", "n" is "nomaster", "t" is "txqueuelen".
    let mut s = session();
    let r = iplink_modify(&mut s, Cmd::Add, &w("a type veth"));
    assert_eq!(r, Err(Abort::Ret(-1)));
    assert_eq!(err(&s), "\"type\" is invalid lladdr.\n");
    add_veth(&mut s);
    let mut m = LinkMessage::default();
    iplink_parse(&mut s, &w("v0 n t 5"), &mut m, false).unwrap();
    assert_eq!(
        m.attributes,
        vec![LinkAttribute::Controller(0), LinkAttribute::TxQueueLen(5)]
    );
}

#[test]
fn iplink_parse_invalid_name_exits() {
    // iplink_parse(): check_ifname() failure is invarg() → exit(-1).
    let mut s = session();
    let r = iplink_modify(&mut s, Cmd::Set, &w("v0 name aaaaaaaaaaaaaaaaaaaa"));
    assert_eq!(r, Err(Abort::Exit(255)));
    assert_eq!(
        err(&s),
        "Error: argument \"aaaaaaaaaaaaaaaaaaaa\" is wrong: \"name\" not a valid ifname\n"
    );
}

#[test]
fn iplink_parse_missing_device() {
    // iplink_parse(): ll_name_to_index() == 0 → nodev() → return -1.
    let mut s = session();
    assert_eq!(
        iplink_modify(&mut s, Cmd::Set, &w("nope up")),
        Err(Abort::Ret(-1))
    );
    assert_eq!(err(&s), "Cannot find device \"nope\"\n");
}

#[test]
fn iplink_parse_master_must_exist() {
    // iplink_parse(): "master M" resolves M client-side first.
    let mut s = session();
    add_veth(&mut s);
    assert_eq!(
        iplink_modify(&mut s, Cmd::Set, &w("v0 master br9")),
        Err(Abort::Exit(255))
    );
    assert_eq!(
        err(&s),
        "Error: argument \"br9\" is wrong: Device does not exist\n\n"
    );
}

#[test]
fn iplink_parse_incomplete_and_duplicates() {
    // NEXT_ARG() → incomplete_command(); duparg(); duparg2().
    let mut s = session();
    assert_eq!(
        iplink_modify(&mut s, Cmd::Set, &w("v0 mtu")),
        Err(Abort::Exit(255))
    );
    assert_eq!(
        err(&s),
        "Command line is not complete. Try option \"help\"\n"
    );
    let mut s = session();
    assert_eq!(
        iplink_modify(&mut s, Cmd::Set, &w("v0 mtu 1 mtu 2")),
        Err(Abort::Exit(255))
    );
    assert_eq!(
        err(&s),
        "Error: duplicate \"mtu\": \"2\" is the second value.\n"
    );
    let mut s = session();
    assert_eq!(
        iplink_modify(&mut s, Cmd::Set, &w("dev v0 v1")),
        Err(Abort::Exit(255))
    );
    assert_eq!(
        err(&s),
        "Error: either \"dev\" is duplicate, or \"v1\" is a garbage.\n"
    );
}

#[test]
fn iplink_modify_add_needs_type() {
    // iplink_modify(): NLM_F_CREATE without "type".
    let mut s = session();
    assert_eq!(iplink_modify(&mut s, Cmd::Add, &w("x0")), Ok(-1));
    assert_eq!(
        err(&s),
        "Not enough information: \"type\" argument is required\n"
    );
}

#[test]
fn iplink_modify_kernel_error_is_minus_two() {
    // iplink_modify(): rtnl_talk() failure returns -2 (exit status 2).
    let mut s = session();
    add_veth(&mut s);
    assert_eq!(
        iplink_modify(&mut s, Cmd::Add, &w("v0 type veth peer v1")),
        Ok(-2)
    );
    assert_eq!(err(&s), "RTNETLINK answers: File exists\n");
}

#[test]
fn veth_parse_opt_builds_nested_peer() {
    // veth_parse_opt(): the peer's options become a nested ifinfomsg.
    let mut s = session();
    let mut m = LinkMessage::default();
    let words = w("v0 type veth peer name v1 mtu 1400");
    let p = iplink_parse(&mut s, &words, &mut m, true).unwrap();
    assert_eq!(p.kind.as_deref(), Some("veth"));
    assert_eq!(p.consumed, 3);
    assert_eq!(m.attributes, vec![LinkAttribute::IfName("v0".into())]);
    // iplink_modify adds the LINKINFO; check through a real add.
    assert_eq!(
        iplink_modify(&mut s, Cmd::Add, &words),
        Ok(0),
        "{}",
        err(&s)
    );
}

#[test]
fn veth_parse_opt_requires_peer_keyword() {
    // veth_parse_opt(): anything but "peer" prints the usage on stdout.
    let mut s = session();
    assert_eq!(
        iplink_modify(&mut s, Cmd::Add, &w("v0 type veth foo")),
        Err(Abort::Ret(-1))
    );
    assert_eq!(
        String::from_utf8_lossy(&s.p.out),
        "Usage: ip link <options> type veth [peer <options>]\nTo get <options> type 'ip link add help'\n"
    );
}

#[test]
fn iplink_parse_create_rejects_name_and_dev() {
    // iplink_parse(): "both name and dev" on create is an exit.
    let mut s = session();
    assert_eq!(
        iplink_modify(&mut s, Cmd::Add, &w("name v2 dev v3 type veth")),
        Err(Abort::Exit(255))
    );
    assert_eq!(
        err(&s),
        "both \"name\" and \"dev\" cannot be used when creating devices.\n"
    );
}

#[test]
fn iplink_parse_address_length_checked_against_device() {
    // iplink_parse() + nl_get_ll_addr_len(): a set compares lengths.
    let mut s = session();
    add_veth(&mut s);
    assert_eq!(
        iplink_modify(&mut s, Cmd::Set, &w("v0 address 00:11")),
        Err(Abort::Ret(-1))
    );
    assert_eq!(err(&s), "Invalid address length 2 - must be 6 bytes\n");
}

#[test]
fn iplink_parse_on_off_errors() {
    // on_off() returns -1; parse_on_off() returns -EINVAL (exit 22).
    let mut s = session();
    add_veth(&mut s);
    assert_eq!(
        iplink_modify(&mut s, Cmd::Set, &w("v0 multicast x")),
        Err(Abort::Ret(-1))
    );
    assert_eq!(
        err(&s),
        "Error: argument of \"multicast\" must be \"on\" or \"off\", not \"x\"\n"
    );
    let mut s = session();
    add_veth(&mut s);
    assert_eq!(
        iplink_modify(&mut s, Cmd::Set, &w("v0 carrier x")),
        Err(Abort::Ret(-22))
    );
}
