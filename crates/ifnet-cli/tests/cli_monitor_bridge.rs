//! `ip monitor link` while a bridge and its ports change: the AF_BRIDGE
//! RTM_NEWLINK/DELLINK of br_ifinfo_notify (br_add_if, del_nbp,
//! br_stp_enable_port, br_make_forwarding, br_stp_disable_port,
//! br_device_event, br_forward_delay_timer_expired) among the ordinary
//! RTM_NEWLINKs (dev_set_promiscuity's IFF_PROMISC, the bridge's FEATURE
//! CHANGE, CHANGEADDR, linkwatch), printed as ip's accept_msg() prints them.
//!
//! KERNEL is what iproute2 6.1's `ip -n NS monitor link` printed on Linux
//! 6.18 while each command of SCENARIO ran with `ip -n NS`, 16 s apart (past
//! the 15 s forward-delay timer, so every deferred event had happened, as
//! after one ifnet invocation, which settles); `@X@` was a second namespace
//! created before the monitor started, and the bridge's random initial MAC
//! is written `<random>`. The recording script:
//!
//!     NS=kmon$$; ip netns add $NS; ip netns add ${NS}x
//!     ip -n $NS monitor link > out &
//!     while read -r c; do c=${c//@X@/${NS}x}; echo "### $c" >> out
//!         ip -n $NS $c; sleep 16; done < scenario
//!     kill %1; ip netns del $NS; ip netns del ${NS}x
//!
//! The ifnet side runs the same commands through `do_cmd`, settling after
//! each as an invocation does, and prints what a monitor started before the
//! first command reads from the multicast ring (monitor.rs print_events).

use ifnet_cli::ip::args::Opts;
use ifnet_cli::ip::monitor::{netns_map_init, print_events};
use ifnet_cli::ip::print_link::Filter;
use ifnet_cli::session::Session;
use ifnet_core::{Kernel, KernelProfile};
use netlink_packet_route::link::LinkMessage;

const SCENARIO: [&str; 19] = [
    "link add v0 address 02:00:00:00:00:01 type veth peer name v1 address 02:00:00:00:00:02",
    "link add v2 address 02:00:00:00:00:03 type veth peer name v3 address 02:00:00:00:00:04",
    "link add br0 type bridge",
    "link set v0 master br0",
    "link set br0 up",
    "link set v1 up",
    "link set v0 up",
    "link set v0 down",
    "link set v0 up",
    "link set v2 master br0",
    "link set v0 nomaster",
    "link set v0 master br0",
    "link set v3 up",
    "link set v2 up",
    "link set br0 down",
    "link set br0 up",
    "link del v2",
    "link set v0 netns @X@",
    "link del br0",
];

/// The recording (a data file: trailing blanks are part of what ip printed).
const KERNEL: &str = include_str!("data/monitor_link_bridge.kernel.txt");

/// `link/ether` addresses other than the ones the scenario sets (and the
/// all-zero one of a port-less bridge) are random: written `<random>`.
fn mask_random(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("link/ether ") {
            Some(p) => {
                let at = p + "link/ether ".len();
                let addr = l[at..].split(' ').next().unwrap_or("");
                let fixed = addr == "00:00:00:00:00:00" || addr.starts_with("02:00:00:00:00:0");
                if fixed {
                    l.to_string()
                } else {
                    format!("{}<random>{}", &l[..at], &l[at + addr.len()..])
                }
            }
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The whole monitor transcript of SCENARIO matches the kernel's, message
/// for message and in order.
#[test]
fn monitor_link_bridge_matches_kernel() {
    let mut k = Kernel::new(KernelProfile::latest());
    let mut names = ifnet_core::user_space::NetnsNames::default();
    let ns = names.add(&mut k, "mon").unwrap();
    names.add(&mut k, "x").unwrap();
    k.mcast_listen(1);
    let mut cmd = Session::new(k.clone(), ns, Opts::default());
    cmd.names = names.clone();
    let mut mon = Session::new(k, ns, Opts::default());
    mon.names = names;
    // ll_init_map() and netns_map_init() when the monitor starts.
    for lm in mon.dump_links(LinkMessage::default()).unwrap() {
        mon.remember(&lm);
    }
    let f = Filter {
        netns_map: Some(netns_map_init(&mon)),
        ..Filter::default()
    };
    let mut next = mon.k.mcast_next_seq();
    let mut shadow = ifnet_cli::ip::monitor::LinkShadow::default();
    for line in SCENARIO {
        mon.p.text(&format!("### {line}\n"));
        let words: Vec<String> = line
            .replace("@X@", "x")
            .split_whitespace()
            .map(String::from)
            .collect();
        assert_eq!(ifnet_cli::app::do_cmd(&mut cmd, &words), Ok(0), "{line}");
        cmd.k.run_until_idle();
        mon.k = cmd.k.clone();
        let g = ifnet_cli::ip::monitor::Groups {
            link: true,
            ipv4_addr: false,
            ipv6_addr: false,
        };
        let af = ifnet_cli::ip::print_addr::AddrFilter::default();
        next = print_events(&mut mon, next, &f, &af, g, false, &mut shadow);
    }
    let got = mask_random(&String::from_utf8_lossy(&mon.p.out));
    let want = mask_random(KERNEL);
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(
            g,
            w,
            "first difference at line {}\n--- ifnet:\n{got}",
            i + 1
        );
    }
    assert_eq!(
        got.lines().count(),
        want.lines().count(),
        "--- ifnet:\n{got}"
    );
}
