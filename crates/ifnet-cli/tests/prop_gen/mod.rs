//! The random sequences of `differential_prop`: the ops (each one `ip`
//! command or harness directive), the specs they are drawn from and the
//! proptest strategies; `sim` aims each spec at a device that (probably)
//! exists when it runs.

mod sim;

use std::fmt;

use proptest::prelude::*;

use crate::support::Role;
pub use sim::resolve;

/// A concrete command (or harness directive) of a generated sequence.
#[derive(Clone, Debug)]
pub enum Op {
    /// `link add NAME [EXTRA] type veth [peer name PEER]`.
    AddVeth(String, Option<String>, Option<&'static str>),
    AddBridge(String),
    Up(String),
    Down(String),
    Rename(String, String),
    Master(String, String),
    NoMaster(String),
    Mtu(String, u32),
    /// `link set DEV promisc|allmulticast on|off`.
    Flag(String, &'static str, bool),
    /// `link set DEV KEY VALUE` (gso_max_size, txqueuelen, group, …).
    Attr(String, &'static str, &'static str),
    /// `link set group N WHAT`.
    GroupSet(u32, &'static str),
    /// `link del group N`.
    GroupDel(u32),
    Move(String, Role, Option<String>),
    Del(String),
    AddrAdd(String, &'static str),
    AddrDel(String, &'static str),
    AddrFlush(String),
    AddrGenMode(String, &'static str),
    /// Following commands run with `-n NS`.
    In(Role),
    /// `netns del NS` then `netns add NS`: the namespace dies and comes back empty.
    Cycle(Role),
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::AddVeth(n, p, x) => {
                write!(f, "link add {n}")?;
                if let Some(x) = x {
                    write!(f, " {x}")?;
                }
                write!(f, " type veth")?;
                match p {
                    Some(p) => write!(f, " peer name {p}"),
                    None => Ok(()),
                }
            }
            Op::AddBridge(n) => write!(f, "link add {n} type bridge"),
            Op::Up(d) => write!(f, "link set {d} up"),
            Op::Down(d) => write!(f, "link set dev {d} down"),
            Op::Rename(d, n) => write!(f, "link set {d} name {n}"),
            Op::Master(d, m) => write!(f, "link set {d} master {m}"),
            Op::NoMaster(d) => write!(f, "link set {d} nomaster"),
            Op::Mtu(d, m) => write!(f, "link set {d} mtu {m}"),
            Op::Flag(d, w, on) => write!(f, "link set {d} {w} {}", if *on { "on" } else { "off" }),
            Op::Attr(d, k, v) => write!(f, "link set {d} {k} {v}"),
            Op::GroupSet(g, w) => write!(f, "link set group {g} {w}"),
            Op::GroupDel(g) => write!(f, "link del group {g}"),
            Op::Move(d, ns, None) => write!(f, "link set {d} netns {}", ns.placeholder()),
            Op::Move(d, ns, Some(n)) => {
                write!(f, "link set {d} netns {} name {n}", ns.placeholder())
            }
            Op::Del(d) => write!(f, "link del {d}"),
            Op::AddrAdd(d, a) => write!(f, "addr add {a} dev {d}"),
            Op::AddrDel(d, a) => write!(f, "addr del {a} dev {d}"),
            Op::AddrFlush(d) => write!(f, "addr flush dev {d}"),
            Op::AddrGenMode(d, m) => write!(f, "link set {d} addrgenmode {m}"),
            Op::In(ns) => write!(f, "#@ in {}", ns.placeholder()),
            Op::Cycle(ns) => write!(f, "#@ netns del {0}\n#@ netns add {0}", ns.placeholder()),
        }
    }
}

/// Which device an op acts on. Resolved against a rough model of the
/// sequence so far, so that most commands hit a device that exists in the
/// namespace they run in (an unknown `master` would abort the whole batch in
/// iproute2).
#[derive(Clone, Copy, Debug)]
pub enum Dev {
    /// The i-th (mod n) device of the current namespace, lo included.
    Existing(u8),
    /// The i-th (mod n) bridge of the current namespace (else any device).
    Bridge(u8),
    /// A fixed name: lo, or one that never exists.
    Named(&'static str),
}

/// An op before its devices are resolved.
#[derive(Clone, Copy, Debug)]
pub enum Spec {
    AddVeth(&'static str, Option<&'static str>, Option<&'static str>),
    AddBridge(&'static str),
    Up(Dev),
    Down(Dev),
    Rename(Dev, &'static str),
    Master(Dev, Dev),
    NoMaster(Dev),
    Mtu(Dev, u32),
    Flag(Dev, &'static str, bool),
    Attr(Dev, &'static str, &'static str),
    GroupSet(u32, &'static str),
    GroupDel(u32),
    Move(Dev, Role, Option<&'static str>),
    Del(Dev),
    AddrAdd(Dev, &'static str),
    AddrDel(Dev, &'static str),
    AddrFlush(Dev),
    AddrGenMode(Dev, &'static str),
    In(Role),
    Cycle(Role),
}

/// Addresses for `addr add|del`: IPv4 primaries and secondaries, scope
/// host by default for 127/8, labels, lifetimes, IPv6 without DAD (its
/// timing would race the batch).
/// One line a kind (the order is the sampler's: keep it).
#[rustfmt::skip]
fn address() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "10.0.0.1/24", "10.0.0.2/24", "10.0.0.3/24 label lbl", "10.0.1.1/16",
        "10.0.0.1/24 scope link", "127.0.0.2/8",
        "192.168.1.1/32 valid_lft 100 preferred_lft 50",
        "2001:db8::1/64 nodad", "2001:db8::2/64 nodad", "fe80::5/64 nodad",
    ])
}

fn gen_mode() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["none", "eui64", "random", "stable_secret"])
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Main), Just(Role::X1), Just(Role::X2)]
}

fn extra_role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::X1), Just(Role::X2)]
}

fn dev() -> impl Strategy<Value = Dev> {
    prop_oneof![
        14 => any::<u8>().prop_map(Dev::Existing),
        1 => Just(Dev::Named("lo")),
        1 => Just(Dev::Named("nosuch")),
    ]
}

fn master_dev() -> impl Strategy<Value = Dev> {
    prop_oneof![
        8 => any::<u8>().prop_map(Dev::Bridge),
        2 => any::<u8>().prop_map(Dev::Existing),
    ]
}

fn veth_name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["v0", "v1", "v2", "v3", "v%d", "eth%d"])
}

fn bridge_name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["br0", "br1", "br%d"])
}

/// New names: valid, taken, `%d` patterns, and names the kernel
/// (`dev_valid_name`, `__dev_alloc_name`) or iproute2 (`check_ifname`,
/// which aborts the whole batch) refuses.
fn new_name() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        10 => prop::sample::select(vec!["v0", "v1", "v2", "v3", "eth0", "br0", "lo", "x0"]),
        4 => prop::sample::select(vec!["v%d", "eth%d", "x%d"]),
        3 => prop::sample::select(vec![".", "..", "a:b", "x%d%d", "%d", "y%s"]),
        1 => prop::sample::select(vec!["abcdefghijklmnop", "a/b"]),
    ]
}

/// What `link add … type veth` may carry before `type`: queue counts (the
/// default follows the host's possible CPUs), limits, an MTU, a group.
fn veth_extra() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "numtxqueues 3",
        "numtxqueues 3 numrxqueues 5",
        "numrxqueues 0",
        "gso_max_size 30000 gro_max_size 70000",
        "gso_max_size 524281",
        "gso_max_segs 9",
        "mtu 67",
        "mtu 9000",
        "group 3",
        "txqueuelen 0",
    ])
}

/// `link set DEV KEY VALUE` pairs iproute2 sends (values it refuses itself
/// would end the batch): limits across their bounds, queue length, group,
/// protodown (refused by every modelled driver).
fn attr() -> impl Strategy<Value = (&'static str, &'static str)> {
    prop::sample::select(vec![
        ("gso_max_size", "192"),
        ("gso_max_size", "193"),
        ("gso_max_size", "65536"),
        ("gso_max_size", "524280"),
        ("gso_max_size", "524281"),
        ("gso_max_segs", "0"),
        ("gso_max_segs", "65535"),
        ("gro_max_size", "0"),
        ("gro_max_size", "524281"),
        ("gro_max_size", "100000"),
        ("txqueuelen", "0"),
        ("txqueuelen", "5"),
        ("group", "3"),
        ("group", "0"),
        ("protodown", "on"),
        ("protodown", "off"),
    ])
}

fn group_action() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "up",
        "down",
        "mtu 1400",
        "mtu 70000",
        "promisc on",
        "txqueuelen 7",
    ])
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        5 => (
            veth_name(),
            prop::option::weighted(0.7, veth_name()),
            prop::option::weighted(0.3, veth_extra())
        )
            .prop_map(|(n, p, x)| Spec::AddVeth(n, p, x)),
        2 => bridge_name().prop_map(Spec::AddBridge),
        3 => dev().prop_map(Spec::Up),
        1 => dev().prop_map(Spec::Down),
        3 => (dev(), new_name()).prop_map(|(d, n)| Spec::Rename(d, n)),
        3 => (dev(), master_dev()).prop_map(|(d, m)| Spec::Master(d, m)),
        1 => dev().prop_map(Spec::NoMaster),
        1 => (dev(), prop::sample::select(vec![67u32, 68, 1280, 1500, 9000, 65535, 65536]))
            .prop_map(|(d, m)| Spec::Mtu(d, m)),
        3 => (dev(), prop::sample::select(vec!["promisc", "allmulticast"]), any::<bool>())
            .prop_map(|(d, w, on)| Spec::Flag(d, w, on)),
        2 => (dev(), attr()).prop_map(|(d, (k, v))| Spec::Attr(d, k, v)),
        1 => (prop::sample::select(vec![0u32, 3, 4]), group_action())
            .prop_map(|(g, w)| Spec::GroupSet(g, w)),
        1 => prop::sample::select(vec![0u32, 3, 4]).prop_map(Spec::GroupDel),
        5 => (dev(), role(), prop::option::weighted(0.4, new_name()))
            .prop_map(|(d, ns, n)| Spec::Move(d, ns, n)),
        1 => dev().prop_map(Spec::Del),
        3 => (dev(), address()).prop_map(|(d, a)| Spec::AddrAdd(d, a)),
        2 => (dev(), address()).prop_map(|(d, a)| Spec::AddrDel(d, a)),
        1 => dev().prop_map(Spec::AddrFlush),
        1 => (dev(), gen_mode()).prop_map(|(d, m)| Spec::AddrGenMode(d, m)),
        1 => role().prop_map(Spec::In),
        1 => extra_role().prop_map(Spec::Cycle),
    ]
}

pub fn sequence() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(spec(), 5..=15).prop_map(|specs| resolve(&specs))
}
