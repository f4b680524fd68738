//! Bonding through the binary: `ip link … type bond / bond_slave` parsed
//! as iproute2 6.1's iplink_bond.c / iplink_bond_slave.c parse them, the
//! kernel's refusals as ip prints them, `ip -d link show` (bond_print_opt,
//! bond_slave_print_opt) in text and JSON, `ifnet bond show`
//! (/proc/net/bonding, bond_procfs.c), bonding sysfs and `ifnet dmesg`.

mod common;

use std::path::Path;

fn run(state: &Path, words: &str) -> (i32, String, String) {
    common::run_words(state, words)
}

fn ok(state: &Path, words: &str) -> String {
    common::ok_words(state, words)
}

/// Two veths e0/e1 (peers p0/p1 up), bond0 active-backup miimon 100 over
/// them, up.
fn bond(tag: &str) -> std::path::PathBuf {
    let st = common::scratch_state(tag);
    for w in [
        "link add e0 type veth peer name p0",
        "link add e1 type veth peer name p1",
        "link set p0 up",
        "link set p1 up",
        "link add bond0 type bond mode active-backup miimon 100 updelay 200",
        "link set e0 master bond0",
        "link set e1 master bond0",
        "link set bond0 up",
    ] {
        ok(&st, w);
    }
    st
}

/// bond_fill_info → bond_print_opt: the third line of `ip -d link show`,
/// in iproute2 6.1's order (no coupled_control / broadcast_neighbor).
#[test]
fn ip_d_link_show_bond_line() {
    let st = bond("bond_print");
    let out = ok(&st, "-d link show bond0");
    let line = out.lines().nth(2).unwrap();
    let want = "    bond mode active-backup active_slave e0 miimon 100 updelay 200 downdelay 0 peer_notify_delay 0 use_carrier 1 arp_interval 0 arp_missed_max 2 arp_validate none arp_all_targets any primary_reselect always fail_over_mac none xmit_hash_policy layer2 resend_igmp 1 num_grat_arp 1 all_slaves_active 0 min_links 0 lp_interval 1 packets_per_slave 1 lacp_active on lacp_rate slow ad_select stable tlb_dynamic_lb 1 addrgenmode eui64 numtxqueues 16 numrxqueues 1 ";
    assert!(line.starts_with(want), "{line}");
    assert!(out
        .lines()
        .next()
        .unwrap()
        .contains("<BROADCAST,MULTICAST,MASTER,UP,LOWER_UP>"));
}

/// bond_fill_slave_info → bond_slave_print_opt, and `type bond_slave prio`.
#[test]
fn ip_d_link_show_slave_and_prio() {
    let st = bond("bond_slave_print");
    ok(&st, "link set e1 type bond_slave prio 10");
    let out = ok(&st, "-d link show e1");
    let line = out.lines().nth(3).unwrap();
    assert!(
        line.starts_with(
            "    bond_slave state ACTIVE mii_status UP link_failure_count 0 perm_hwaddr "
        ),
        "{line}"
    );
    assert!(line.contains(" queue_id 0 prio 10 addrgenmode"), "{line}");
    assert!(out.contains("<BROADCAST,MULTICAST,SLAVE,UP,LOWER_UP>"));
    let j = ok(&st, "-j -d link show e0");
    assert!(j.contains("\"info_slave_kind\":\"bond\",\"info_slave_data\":{\"state\":\"BACKUP\",\"mii_status\":\"UP\",\"link_failure_count\":0,"), "{j}");
    let j = ok(&st, "-j -d link show bond0");
    assert!(j.contains("\"info_kind\":\"bond\",\"info_data\":{\"mode\":\"active-backup\",\"active_slave\":\"e1\",\"miimon\":100,"), "{j}");
    assert!(j.contains("\"arp_validate\":null,"), "{j}");
    assert!(j.contains("\"num_peer_notif\":1,"), "{j}");
}

/// `ifnet bond show` prints bond_info_seq_show's text.
#[test]
fn bond_show_is_proc_net_bonding() {
    let st = bond("bond_proc");
    let out = ok(&st, "bond show bond0");
    let head = "Ethernet Channel Bonding Driver: v6.18.0\n\nBonding Mode: fault-tolerance (active-backup)\nPrimary Slave: None\nCurrently Active Slave: e0\nMII Status: up\nMII Polling Interval (ms): 100\nUp Delay (ms): 200\nDown Delay (ms): 0\nPeer Notification Delay (ms): 0\n\nSlave Interface: e0\nMII Status: up\nSpeed: 10000 Mbps\nDuplex: full\nLink Failure Count: 0\nPermanent HW addr: ";
    assert!(out.starts_with(head), "{out}");
    assert!(out.contains("\nSlave queue ID: 0\n\nSlave Interface: e1\n"));
    assert_eq!(ok(&st, "bond show"), "bond0\n");
    let (rc, _, err) = run(&st, "bond show e0");
    assert_eq!(
        (rc, err.as_str()),
        (1, "cat: /proc/net/bonding/e0: No such file or directory\n")
    );
    assert_eq!(
        ok(&st, "bond sysfs bond0 bonding/mode"),
        "active-backup 1\n"
    );
    assert_eq!(ok(&st, "bond sysfs bond0 bonding/slaves"), "e0 e1\n");
    assert_eq!(ok(&st, "bond sysfs e1 bonding_slave/state"), "backup\n");
}

/// bond_enslave()'s refusals as ip prints the extack: exit 2.
#[test]
fn enslave_refusals_through_ip() {
    let st = bond("bond_refuse");
    ok(&st, "link add e2 type veth peer name p2");
    ok(&st, "link set e2 up");
    let (rc, _, err) = run(&st, "link set e2 master bond0");
    assert_eq!(
        (rc, err.as_str()),
        (2, "Error: Device can not be enslaved while up.\n")
    );
    let (rc, _, err) = run(&st, "link set bond0 master bond0");
    assert_eq!(
        (rc, err.as_str()),
        (2, "Error: Cannot enslave bond to itself.\n")
    );
    // The same through bonding/slaves: no extack, the text in the log.
    ok(&st, "link add br0 type bridge");
    ok(&st, "link set e2 master br0");
    let (rc, _, err) = run(&st, "bond slaves bond0 +e2");
    assert_eq!(
        (rc, err.as_str()),
        (1, "sh: write error: Device or resource busy\n")
    );
    let log = ok(&st, "dmesg -t");
    assert!(
        log.ends_with("bond0: (slave e2): Error: Device is in use and cannot be enslaved\n"),
        "{log}"
    );
}

/// bond_opt_check_deps / _bond_option_delay_set through ip, and
/// iplink_bond.c's own refusals.
#[test]
fn option_errors_through_ip() {
    let st = bond("bond_opts");
    // NOSLAVES is checked before IFDOWN.
    let (rc, _, err) = run(&st, "link set bond0 type bond mode 802.3ad");
    assert_eq!(
        (rc, err.as_str()),
        (
            2,
            "Error: unable to set option because the bond device has slaves.\n"
        )
    );
    ok(&st, "link add bond9 type bond");
    ok(&st, "link set bond9 up");
    let (rc, _, err) = run(&st, "link set bond9 type bond mode 802.3ad");
    assert_eq!(
        (rc, err.as_str()),
        (2, "Error: unable to set option because the bond is up.\n")
    );
    let (rc, _, err) = run(&st, "link set bond0 type bond fail_over_mac active");
    assert_eq!(
        (rc, err.as_str()),
        (
            2,
            "Error: unable to set option because the bond device has slaves.\n"
        )
    );
    let (rc, _, err) = run(&st, "link add bond1 type bond updelay 100");
    assert_eq!(
        (rc, err.as_str()),
        (2, "RTNETLINK answers: Operation not permitted\n")
    );
    let (rc, _, err) = run(&st, "link add bond1 type bond mode foo");
    assert_eq!(
        (rc, err.as_str()),
        (255, "Error: argument \"foo\" is wrong: invalid mode\n")
    );
    let (rc, _, err) = run(&st, "link add bond1 type bond peer_notif_delay 100");
    assert_eq!(rc, 1);
    assert!(err.starts_with(
        "bond: unknown command \"peer_notif_delay\"?\nUsage: ... bond [ mode BONDMODE ]"
    ));
    let (rc, _, err) = run(&st, "link set e0 type bond_slave prio x");
    assert_eq!(
        (rc, err.as_str()),
        (255, "Error: argument \"x\" is wrong: prio is invalid\n")
    );
    let (rc, _, err) = run(&st, "link set bond0 type bond primary nosuch");
    assert_eq!((rc, err.as_str()), (1, "Cannot find device \"nosuch\"\n"));
    // Abbreviations resolve in ip's order: "p" is peer_notify_delay.
    ok(&st, "link set bond0 type bond p 200 prim e1");
    let out = ok(&st, "-d link show bond0");
    assert!(
        out.contains(" active_slave e1 ") && out.contains(" peer_notify_delay 200 "),
        "{out}"
    );
    assert!(
        out.contains(" primary e1 primary_reselect always "),
        "{out}"
    );
}

/// A cable pulled and `ifnet sleep`: miimon fails over, the log says so,
/// and the slave's link_failure_count shows.
#[test]
fn failover_through_the_binary() {
    let st = bond("bond_failover");
    ok(&st, "link set p0 down");
    ok(&st, "sleep 0.3");
    assert_eq!(ok(&st, "bond sysfs bond0 bonding/active_slave"), "e1\n");
    let out = ok(&st, "-d link show e0");
    assert!(
        out.contains("bond_slave state BACKUP mii_status DOWN link_failure_count 1 "),
        "{out}"
    );
    let log = ok(&st, "dmesg -t");
    for w in [
        "bond0: (slave e0): link status definitely down, disabling slave\n",
        "bond0: (slave e1): making interface the new active one\n",
    ] {
        assert!(log.contains(w), "{log}");
    }
    ok(&st, "link del bond0");
    let log = ok(&st, "dmesg -t");
    assert!(
        log.ends_with("bond0 (unregistering): Released all slaves\n"),
        "{log}"
    );
}
