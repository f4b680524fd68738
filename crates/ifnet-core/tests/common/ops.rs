//! The structured, hostile link-message generator shared by the fuzz
//! targets: RTM_NEWLINK/SETLINK/DELLINK/GETLINK messages (half plausible,
//! half hostile), namespace add/del and settling, and how to run them on a
//! kernel (`run_op`) and observe the result (`snapshot`).

use ifnet_core::client::{encode, Client};
use ifnet_core::{Kernel, NetId};
use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST,
};
use netlink_packet_route::link::{
    InfoBridge, InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::RouteNetlinkMessage;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum NameSel {
    Pool(usize),
    Random(String),
}

const NAME_POOL: &[&str] = &[
    "lo",
    "v0",
    "p0",
    "v1",
    "p1",
    "br0",
    "eth0",
    "dev2",
    "x",
    "y",
    "eth%d",
    "veth%d",
    "%d",
    "a%d%d",
    "%s",
    "%",
    ".",
    "..",
    "",
    "a/b",
    "a b",
    "a:b",
    "fifteen-bytes-x",  // 15 bytes: the longest valid name
    "sixteen-bytes-xy", // 16 bytes: one too many
    "über",
    "tab\tname",
    "nul\0name",
];

fn name_sel() -> impl Strategy<Value = NameSel> {
    prop_oneof![
        4 => (0..NAME_POOL.len()).prop_map(NameSel::Pool),
        1 => "[a-z0-9%./: ]{0,17}".prop_map(NameSel::Random),
    ]
}

fn name_of(s: &NameSel) -> String {
    match s {
        NameSel::Pool(i) => NAME_POOL[*i].to_string(),
        NameSel::Random(s) => s.clone(),
    }
}

#[derive(Debug, Clone)]
enum FdSel {
    /// nsfs inode of live namespace i (mod count).
    Net(usize),
    Raw(i32),
}

#[derive(Debug, Clone)]
enum Kind {
    Veth,
    Bridge,
    Other(String),
}

#[derive(Debug, Clone)]
enum Attr {
    IfName(NameSel),
    Mtu(u32),
    Address(Vec<u8>),
    Broadcast(Vec<u8>),
    Controller(u32),
    NetNsFd(FdSel),
    NetNsPid(u32),
    IfNetnsId(i32),
    NewIfIndex(i32),
    IfAlias(String),
    TxQueueLen(u32),
    Group(u32),
    Carrier(u8),
    AltName(NameSel),
    LinkInfo {
        kind: Option<Kind>,
        data: bool,
        peer: Option<Box<Msg>>,
    },
}

#[derive(Debug, Clone)]
pub struct Msg {
    index: i32,
    flags: u32,
    change: u32,
    attrs: Vec<Attr>,
}

fn small_u32() -> impl Strategy<Value = u32> {
    prop_oneof![
        0u32..16,
        Just(67),
        Just(68),
        Just(1500),
        Just(65535),
        Just(65536),
        Just(i32::MAX as u32),
        any::<u32>()
    ]
}

fn flags() -> impl Strategy<Value = u32> {
    // IFF_UP, IFF_NOARP, IFF_PROMISC, IFF_ALLMULTI, IFF_MASTER, IFF_SLAVE, ...
    prop_oneof![Just(0u32), Just(1), (0u32..0x10000), any::<u32>()]
}

fn attr(depth: u32) -> BoxedStrategy<Attr> {
    let leaf = prop_oneof![
        4 => name_sel().prop_map(Attr::IfName),
        1 => small_u32().prop_map(Attr::Mtu),
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(Attr::Address),
        1 => prop_oneof![Just(vec![2u8, 0, 0, 0, 0, 1]), Just(vec![1u8, 0, 0, 0, 0, 1]), Just(vec![0u8; 6])]
            .prop_map(Attr::Address),
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(Attr::Broadcast),
        1 => small_u32().prop_map(Attr::Controller),
        2 => prop_oneof![(0usize..4).prop_map(FdSel::Net), any::<i32>().prop_map(FdSel::Raw)].prop_map(Attr::NetNsFd),
        1 => prop_oneof![Just(1u32), any::<u32>()].prop_map(Attr::NetNsPid),
        1 => prop_oneof![-2i32..4, any::<i32>()].prop_map(Attr::IfNetnsId),
        1 => prop_oneof![-1i32..20, any::<i32>()].prop_map(Attr::NewIfIndex),
        1 => prop_oneof![Just(String::new()), "[a-z ]{0,8}", "a{250,260}".prop_map(|s| s)].prop_map(Attr::IfAlias),
        1 => small_u32().prop_map(Attr::TxQueueLen),
        1 => small_u32().prop_map(Attr::Group),
        1 => any::<u8>().prop_map(Attr::Carrier),
        1 => name_sel().prop_map(Attr::AltName),
    ];
    if depth == 0 {
        let linkinfo = (
            prop::option::of(prop_oneof![
                Just(Kind::Bridge),
                "[a-z]{0,6}".prop_map(Kind::Other)
            ]),
            any::<bool>(),
        )
            .prop_map(|(kind, data)| Attr::LinkInfo {
                kind,
                data,
                peer: None,
            });
        return prop_oneof![8 => leaf, 1 => linkinfo].boxed();
    }
    let linkinfo = (
        prop::option::of(prop_oneof![
            3 => Just(Kind::Veth),
            2 => Just(Kind::Bridge),
            1 => "[a-z]{0,6}".prop_map(Kind::Other)
        ]),
        any::<bool>(),
        prop::option::of(msg(depth - 1).prop_map(Box::new)),
    )
        .prop_map(|(kind, data, peer)| Attr::LinkInfo { kind, data, peer });
    prop_oneof![6 => leaf, 2 => linkinfo].boxed()
}

/// Any message: half plausible (what iproute2 would send, so requests
/// succeed and build up state), half hostile.
fn msg(depth: u32) -> BoxedStrategy<Msg> {
    prop_oneof![plausible_msg(depth), hostile_msg(depth)].boxed()
}

fn hostile_msg(depth: u32) -> BoxedStrategy<Msg> {
    (
        prop_oneof![4 => Just(0i32), 4 => 1i32..12, 1 => -3i32..0, 1 => any::<i32>()],
        flags(),
        flags(),
        prop::collection::vec(attr(depth), 0..5),
    )
        .prop_map(|(index, flags, change, attrs)| Msg {
            index,
            flags,
            change,
            attrs,
        })
        .boxed()
}

/// A short valid-looking name from a small set, so requests collide.
fn plain_name() -> impl Strategy<Value = NameSel> {
    prop_oneof![
        4 => prop::sample::select(vec![0usize, 1, 2, 3, 4, 5, 6, 7, 8, 9]).prop_map(NameSel::Pool),
        1 => prop::sample::select(vec![10usize, 11, 22]).prop_map(NameSel::Pool),
    ]
}

fn plausible_msg(depth: u32) -> BoxedStrategy<Msg> {
    let kind = if depth == 0 {
        Just(None).boxed()
    } else {
        prop::option::weighted(
            0.6,
            prop_oneof![
                3 => (prop::option::of(plausible_msg(depth - 1).prop_map(Box::new)))
                    .prop_map(|peer| (Kind::Veth, peer)),
                2 => Just((Kind::Bridge, None)),
            ],
        )
        .boxed()
    };
    (
        prop_oneof![3 => Just(0i32), 1 => 1i32..10],
        prop_oneof![3 => Just((0u32, 0u32)), 1 => Just((1, 1)), 1 => Just((0, 1))],
        prop::option::weighted(0.8, plain_name()),
        kind,
        prop::option::weighted(0.15, (0usize..4).prop_map(FdSel::Net)),
        prop::option::weighted(0.1, 0u32..10),
        prop::option::weighted(0.1, prop::sample::select(vec![68u32, 1400, 1500, 9000])),
    )
        .prop_map(|(index, (flags, change), name, kind, fd, master, mtu)| {
            let mut attrs = Vec::new();
            if let Some(n) = name {
                attrs.push(Attr::IfName(n));
            }
            if let Some(fd) = fd {
                attrs.push(Attr::NetNsFd(fd));
            }
            if let Some(m) = master {
                attrs.push(Attr::Controller(m));
            }
            if let Some(m) = mtu {
                attrs.push(Attr::Mtu(m));
            }
            if let Some((kind, peer)) = kind {
                attrs.push(Attr::LinkInfo {
                    kind: Some(kind),
                    data: peer.is_some(),
                    peer,
                });
            }
            Msg {
                index,
                flags,
                change,
                attrs,
            }
        })
        .boxed()
}

#[derive(Debug, Clone, Copy)]
pub enum MsgType {
    New,
    Set,
    Del,
    Get,
}

#[derive(Debug, Clone)]
pub enum Op {
    /// A link request on a socket in live namespace `net` (mod count).
    Link {
        net: usize,
        typ: MsgType,
        nlflags: u16,
        msg: Msg,
    },
    /// `ip netns add` / `ip netns del` (cleanup_net).
    NetnsAdd(u8),
    NetnsDel(u8),
    /// Run deferred work until idle (linkwatch).
    Settle,
}

pub fn op() -> impl Strategy<Value = Op> {
    let typ = prop_oneof![
        4 => Just(MsgType::New),
        2 => Just(MsgType::Set),
        1 => Just(MsgType::Del),
        1 => Just(MsgType::Get)
    ];
    let nlflags = prop_oneof![
        Just(NLM_F_ACK),
        Just(NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL),
        Just(NLM_F_ACK | NLM_F_CREATE),
        Just(NLM_F_ACK | NLM_F_REPLACE),
        any::<u16>().prop_map(|f| f & !NLM_F_DUMP),
    ];
    prop_oneof![
        20 => (0usize..4, typ, nlflags, msg(1)).prop_map(|(net, typ, nlflags, msg)| Op::Link { net, typ, nlflags, msg }),
        1 => (0u8..3).prop_map(Op::NetnsAdd),
        1 => (0u8..3).prop_map(Op::NetnsDel),
        1 => Just(Op::Settle),
    ]
}

pub fn build_link(m: &Msg, k: &Kernel, nets: &[NetId]) -> LinkMessage {
    let mut lm = LinkMessage::default();
    lm.header.index = m.index as u32;
    lm.header.flags = LinkFlags::from_bits_retain(m.flags);
    lm.header.change_mask = LinkFlags::from_bits_retain(m.change);
    for a in &m.attrs {
        lm.attributes.push(match a {
            Attr::IfName(n) => LinkAttribute::IfName(name_of(n)),
            Attr::Mtu(v) => LinkAttribute::Mtu(*v),
            Attr::Address(v) => LinkAttribute::Address(v.clone()),
            Attr::Broadcast(v) => LinkAttribute::Broadcast(v.clone()),
            Attr::Controller(v) => LinkAttribute::Controller(*v),
            Attr::NetNsFd(FdSel::Net(i)) => {
                // Index past the live ones names a dead/unknown fd.
                let fd = nets
                    .get(*i)
                    .map(|&n| k.netns_fd(n) as i32)
                    .unwrap_or(0x3fff_ffff);
                LinkAttribute::NetNsFd(fd)
            }
            Attr::NetNsFd(FdSel::Raw(fd)) => LinkAttribute::NetNsFd(*fd),
            Attr::NetNsPid(p) => LinkAttribute::NetNsPid(*p),
            Attr::IfNetnsId(i) => LinkAttribute::IfNetnsId(*i),
            Attr::NewIfIndex(i) => LinkAttribute::NewIfIndex(*i),
            Attr::IfAlias(s) => LinkAttribute::IfAlias(s.clone()),
            Attr::TxQueueLen(v) => LinkAttribute::TxQueueLen(*v),
            Attr::Group(v) => LinkAttribute::Group(*v),
            Attr::Carrier(v) => LinkAttribute::Carrier(*v),
            Attr::AltName(n) => {
                LinkAttribute::PropList(vec![netlink_packet_route::link::Prop::AltIfName(name_of(
                    n,
                ))])
            }
            Attr::LinkInfo { kind, data, peer } => {
                let mut infos = Vec::new();
                if let Some(kind) = kind {
                    infos.push(LinkInfo::Kind(match kind {
                        Kind::Veth => InfoKind::Veth,
                        Kind::Bridge => InfoKind::Bridge,
                        Kind::Other(s) => InfoKind::Other(s.clone()),
                    }));
                }
                match (kind, peer, data) {
                    (_, Some(p), _) => {
                        infos.push(LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(build_link(
                            p, k, nets,
                        )))));
                    }
                    (Some(Kind::Bridge), None, true) => {
                        infos.push(LinkInfo::Data(InfoData::Bridge(vec![
                            InfoBridge::HelloTime(200),
                        ])));
                    }
                    _ => {}
                }
                LinkAttribute::LinkInfo(infos)
            }
        });
    }
    lm
}

/// The live namespaces in a stable order: init_net first, then by nsfs
/// inode (creation order).
pub fn live_nets(k: &Kernel) -> Vec<NetId> {
    let init = k.init_net();
    let mut others: Vec<NetId> = k.nets().into_iter().filter(|&n| n != init).collect();
    others.sort_by_key(|&n| k.netns_fd(n));
    let mut v = vec![init];
    v.extend(others);
    v
}

/// Applies one op; returns the replies (empty for non-netlink ops).
pub fn run_op(k: &mut Kernel, op: &Op, seq: u32) -> Vec<Vec<u8>> {
    match op {
        Op::Link {
            net,
            typ,
            nlflags,
            msg,
        } => {
            let nets = live_nets(k);
            let lm = build_link(msg, k, &nets);
            let inner = match typ {
                MsgType::New => RouteNetlinkMessage::NewLink(lm),
                MsgType::Set => RouteNetlinkMessage::SetLink(lm),
                MsgType::Del => RouteNetlinkMessage::DelLink(lm),
                MsgType::Get => RouteNetlinkMessage::GetLink(lm),
            };
            let bytes = encode(inner, nlflags | NLM_F_REQUEST, seq);
            let sock = nets[net % nets.len()];
            k.rtnl_request(sock, &bytes)
        }
        Op::NetnsAdd(_) => {
            // At most four besides init_net (the names ns0..ns2 and `a`
            // bounded it before the names moved to user space).
            if live_nets(k).len() < 5 {
                let _ = k.netns_new();
            }
            Vec::new()
        }
        Op::NetnsDel(i) => {
            // The i-th namespace after init_net, if there is one.
            if let Some(&net) = live_nets(k).get(1 + *i as usize) {
                let _ = k.netns_put(net);
            }
            Vec::new()
        }
        Op::Settle => {
            k.run_until_idle();
            Vec::new()
        }
    }
}

/// The whole visible state: (namespace name, dump) for every namespace.
pub fn snapshot(k: &mut Kernel) -> Vec<(String, Vec<LinkMessage>)> {
    let nets = live_nets(k);
    nets.into_iter()
        .map(|n| {
            let name = format!("inum {}", k.netns_fd(n));
            (name, Client::new(k, n).dump())
        })
        .collect()
}
