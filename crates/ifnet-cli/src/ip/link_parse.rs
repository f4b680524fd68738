//! `ip link add|set|change|delete` arguments: iplink_parse()'s keyword loop
//! (iproute2 6.1 ip/iplink.c), which turns the words into the ifinfomsg
//! header and attributes in the same order as ip adds them; client-side
//! checks print ip's exact text. The checks after the loop, `type KIND`
//! options and sending the request are in `link_modify`.

use netlink_packet_core::DefaultNla;
use netlink_packet_route::link::{
    LinkAttribute, LinkFlags, LinkMessage, LinkMode, LinkProtocolDownReason, State,
};

use crate::ip::link_modify::finish;
pub use crate::ip::link_modify::{iplink_modify, Cmd};
use crate::ip::util::{
    addattr_l, atoi, check_altifname, check_ifname, get_integer, get_unsigned, group_a2n,
    ll_addr_a2n, matches, IFALIASZ, IPLINK_REQ_SIZE, REQ_HDR_LEN,
};
use crate::session::Session;
use crate::{duparg, duparg2, invarg, Abort, Argv};

use ifnet_core::consts::{
    IFF_ALLMULTI, IFF_DYNAMIC, IFF_MULTICAST, IFF_NOARP, IFF_NOTRAILERS, IFF_PROMISC, IFF_UP,
};
const GSO_MAX_SEGS: u32 = 65535;

/// ip/iplink.c `iplink_usage()` text (stderr, then exit(-1)).
pub const IPLINK_USAGE: &str = include_str!("iplink_usage.txt");

/// What iplink_parse() found besides the attributes.
pub struct Parsed {
    /// Words consumed (ip's `ret - argc`).
    pub consumed: usize,
    /// The `type` argument, if any.
    pub kind: Option<String>,
    /// The request's `nlmsg_len` after the attributes (ip's count).
    pub len: usize,
}

/// Local state of one iplink_parse() call (its C locals).
#[derive(Default)]
pub(crate) struct Locals {
    pub(crate) name: Option<String>,
    pub(crate) dev: Option<String>,
    /// C compares the `name` and `dev` pointers; true while they alias.
    pub(crate) name_is_dev: bool,
    pub(crate) link: Option<String>,
    pub(crate) qlen: bool,
    pub(crate) mtu: bool,
    pub(crate) netns: bool,
    pub(crate) numtx: bool,
    pub(crate) numrx: bool,
    pub(crate) link_netnsid: bool,
    pub(crate) index: i32,
    pub(crate) group: Option<u32>,
    pub(crate) addr_len: usize,
    /// The request's `nlmsg_len` as ip counts it (one buffer for the
    /// whole request, a veth peer's attributes included).
    pub(crate) len: usize,
}

/// `addattr_l(&req->n, sizeof(*req), …)` / `addattr32` / `addattr8`: the
/// attribute goes into the request if ip's 1,056-byte buffer has room;
/// otherwise ip's "addattr_l ERROR" line and the attribute is left out.
pub(crate) fn addattr(s: &mut Session, m: &mut LinkMessage, l: &mut Locals, attr: LinkAttribute) {
    use netlink_packet_core::Nla;
    if addattr_l(&mut s.err, &mut l.len, IPLINK_REQ_SIZE, attr.value_len()) {
        m.attributes.push(attr);
    }
}

pub(crate) fn usage(s: &mut Session) -> Abort {
    s.eprint(IPLINK_USAGE);
    Abort::Exit(255)
}

fn on_off(s: &mut Session, what: &str, val: &str) -> Abort {
    s.eprint(&format!(
        "Error: argument of \"{what}\" must be \"on\" or \"off\", not \"{val}\"\n"
    ));
    Abort::Ret(-1)
}

/// `parse_on_off()` via parse_one_of(): returns -EINVAL on error.
fn parse_on_off(s: &mut Session, what: &str, val: &str) -> Result<u8, Abort> {
    if matches(val, "off") {
        return Ok(0);
    }
    if matches(val, "on") {
        return Ok(1);
    }
    s.eprint(&format!(
        "Error: argument of \"{what}\" must be one of \"off\", \"on\", not \"{val}\"\n"
    ));
    Err(Abort::Ret(-22))
}

/// Flips one IFF_* bit from an on/off word (`multicast on`, `arp off`).
fn flag_word(
    s: &mut Session,
    m: &mut LinkMessage,
    what: &str,
    val: &str,
    bit: u32,
    on_sets: bool,
) -> Result<(), Abort> {
    let set = match val {
        "on" => on_sets,
        "off" => !on_sets,
        _ => return Err(on_off(s, what, val)),
    };
    m.header.change_mask |= LinkFlags::from_bits_retain(bit);
    if set {
        m.header.flags |= LinkFlags::from_bits_retain(bit);
    } else {
        m.header.flags &= !LinkFlags::from_bits_retain(bit);
    }
    Ok(())
}

/// iproute2 `get_operstate()`: the names `ip link show` prints, any case.
fn get_operstate(name: &str) -> Option<State> {
    let i = crate::ip::print_link::OPER_STATES
        .iter()
        .position(|s| s.eq_ignore_ascii_case(name))?;
    Some(State::from(i as u8))
}

/// `iplink_parse()`. `create` is `nlmsg_flags & NLM_F_CREATE`.
pub fn iplink_parse(
    s: &mut Session,
    words: &[String],
    m: &mut LinkMessage,
    create: bool,
) -> Result<Parsed, Abort> {
    iplink_parse_at(s, words, m, create, REQ_HDR_LEN)
}

/// `iplink_parse()` into a request already `len` bytes long (a veth peer's
/// attributes follow the outer request's in ip's one buffer).
pub(crate) fn iplink_parse_at(
    s: &mut Session,
    words: &[String],
    m: &mut LinkMessage,
    create: bool,
    len: usize,
) -> Result<Parsed, Abort> {
    let mut a = Argv::new(words);
    let mut l = Locals {
        len,
        ..Locals::default()
    };
    let mut kind = None;
    while a.left() > 0 {
        if parse_one(s, &mut a, m, &mut l, &mut kind)? {
            break;
        }
        a.advance();
    }
    let consumed = a.pos;
    let group_only = l.group.is_some() && l.dev.is_none() && l.name.is_none();
    let len = finish(s, m, l, create, a.left() > 0, a.cur())?;
    // A group without a device: `*type = NULL; return ret;`.
    if group_only {
        kind = None;
    }
    Ok(Parsed {
        consumed,
        kind,
        len,
    })
}

/// One keyword of iplink_parse()'s loop; true when `type` ended the loop.
fn parse_one(
    s: &mut Session,
    a: &mut Argv,
    m: &mut LinkMessage,
    l: &mut Locals,
    kind: &mut Option<String>,
) -> Result<bool, Abort> {
    let w = a.cur();
    if w == "up" || w == "down" {
        flag_word(
            s,
            m,
            "up",
            if w == "up" { "on" } else { "off" },
            IFF_UP,
            true,
        )?;
    } else if w == "name" {
        let v = a.next_arg(&mut s.err)?;
        if l.name.is_some() {
            return Err(duparg(&mut s.err, "name", v));
        }
        if !check_ifname(v) {
            return Err(invarg(&mut s.err, "\"name\" not a valid ifname", v));
        }
        l.name = Some(v.to_string());
        if l.dev.is_none() {
            l.dev = l.name.clone();
            l.name_is_dev = true;
        }
    } else if w == "index" {
        let v = a.next_arg(&mut s.err)?;
        if l.index != 0 {
            return Err(duparg(&mut s.err, "index", v));
        }
        l.index = atoi(v);
        if l.index <= 0 {
            return Err(invarg(&mut s.err, "Invalid \"index\" value", v));
        }
    } else if matches(w, "link") {
        l.link = Some(a.next_arg(&mut s.err)?.to_string());
    } else if matches(w, "address") || matches(w, "broadcast") || w == "brd" {
        let is_addr = matches(w, "address");
        let v = a.next_arg(&mut s.err)?;
        let bytes = ll_addr_a2n(v).map_err(|e| {
            s.eprint(&format!("{e}\n"));
            Abort::Ret(-1)
        })?;
        if is_addr {
            l.addr_len = bytes.len();
            addattr(s, m, l, LinkAttribute::Address(bytes));
        } else {
            addattr(s, m, l, LinkAttribute::Broadcast(bytes));
        }
    } else if matches(w, "txqueuelen") || w == "qlen" || matches(w, "txqlen") {
        let v = a.next_arg(&mut s.err)?;
        if l.qlen {
            return Err(duparg(&mut s.err, "txqueuelen", v));
        }
        l.qlen = true;
        let q = get_integer(v)
            .ok_or_else(|| invarg(&mut s.err, "Invalid \"txqueuelen\" value\n", v))?;
        addattr(s, m, l, LinkAttribute::TxQueueLen(q as u32));
    } else if w == "mtu" {
        let v = a.next_arg(&mut s.err)?;
        if l.mtu {
            return Err(duparg(&mut s.err, "mtu", v));
        }
        l.mtu = true;
        let q = get_integer(v).ok_or_else(|| invarg(&mut s.err, "Invalid \"mtu\" value\n", v))?;
        addattr(s, m, l, LinkAttribute::Mtu(q as u32));
    } else if ["xdpgeneric", "xdpdrv", "xdpoffload", "xdp"].contains(&w) {
        return Err(unsupported(s, w));
    } else if w == "netns" {
        let v = a.next_arg(&mut s.err)?;
        if l.netns {
            return Err(duparg(&mut s.err, "netns", v));
        }
        l.netns = true;
        let attr = netns_attr(s, v)?;
        addattr(s, m, l, attr);
    } else {
        return parse_two(s, a, m, l, kind);
    }
    Ok(false)
}

/// `netns NAME|PID`: netns_get_fd() by name, else a pid.
fn netns_attr(s: &mut Session, v: &str) -> Result<LinkAttribute, Abort> {
    if let Some(id) = s.names.get(v) {
        return Ok(LinkAttribute::NetNsFd(s.k.netns_fd(id) as i32));
    }
    // netns_get_fd() opens NETNS_RUN_DIR "/" NAME: "", "." and ".." open a
    // directory, whose fd the kernel refuses (EINVAL). Fd 0 is no
    // namespace in the model either.
    if matches!(v, "" | "." | "..") {
        return Ok(LinkAttribute::NetNsFd(0));
    }
    match get_integer(v) {
        Some(pid) => Ok(LinkAttribute::NetNsPid(pid as u32)),
        None => Err(invarg(&mut s.err, "Invalid \"netns\" value\n", v)),
    }
}

pub(crate) fn unsupported(s: &mut Session, w: &str) -> Abort {
    s.eprint(&format!("ifnet: \"{w}\" is not supported yet\n"));
    Abort::Exit(255)
}

/// The second half of iplink_parse()'s keyword chain (kept apart only to
/// keep functions short; the order of tests is ip's).
fn parse_two(
    s: &mut Session,
    a: &mut Argv,
    m: &mut LinkMessage,
    l: &mut Locals,
    kind: &mut Option<String>,
) -> Result<bool, Abort> {
    let w = a.cur();
    let flag_words: [(&str, u32, bool); 5] = [
        ("multicast", IFF_MULTICAST, true),
        ("allmulticast", IFF_ALLMULTI, true),
        ("promisc", IFF_PROMISC, true),
        ("trailers", IFF_NOTRAILERS, false),
        ("arp", IFF_NOARP, false),
    ];
    if let Some((name, bit, on_sets)) = flag_words.iter().find(|f| f.0 == w) {
        let v = a.next_arg(&mut s.err)?;
        flag_word(s, m, name, v, *bit, *on_sets)?;
    } else if w == "carrier" {
        let v = a.next_arg(&mut s.err)?;
        let c = parse_on_off(s, "carrier", v)?;
        addattr(s, m, l, LinkAttribute::Carrier(c));
    } else if w == "vf" {
        return Err(unsupported(s, w));
    } else if matches(w, "master") {
        let v = a.next_arg(&mut s.err)?;
        let idx = s.ll_name_to_index(v);
        if idx == 0 {
            return Err(invarg(&mut s.err, "Device does not exist\n", v));
        }
        addattr(s, m, l, LinkAttribute::Controller(idx));
    } else if w == "vrf" {
        let v = a.next_arg(&mut s.err)?;
        let idx = s.ll_name_to_index(v);
        if idx == 0 || !crate::ip::link_show::name_is_vrf(s, v) {
            return Err(invarg(&mut s.err, "Not a valid VRF name\n", v));
        }
        addattr(s, m, l, LinkAttribute::Controller(idx));
    } else if matches(w, "nomaster") {
        addattr(s, m, l, LinkAttribute::Controller(0));
    } else if matches(w, "dynamic") {
        let v = a.next_arg(&mut s.err)?;
        flag_word(s, m, "dynamic", v, IFF_DYNAMIC, true)?;
    } else if matches(w, "type") {
        *kind = Some(a.next_arg(&mut s.err)?.to_string());
        a.advance();
        return Ok(true);
    } else if matches(w, "alias") {
        let v = a.next_arg(&mut s.err)?;
        if v.len() >= IFALIASZ {
            return Err(invarg(&mut s.err, "alias too long\n", v));
        }
        // ip sends the alias without a NUL terminator.
        addattr(
            s,
            m,
            l,
            LinkAttribute::Other(DefaultNla::new(20, v.as_bytes().to_vec())),
        );
    } else {
        return parse_three(s, a, m, l);
    }
    Ok(false)
}

/// The third part of the keyword chain: group, mode, state, queues.
fn parse_three(
    s: &mut Session,
    a: &mut Argv,
    m: &mut LinkMessage,
    l: &mut Locals,
) -> Result<bool, Abort> {
    let w = a.cur();
    if w == "group" {
        let v = a.next_arg(&mut s.err)?;
        if l.group.is_some() {
            return Err(duparg(&mut s.err, "group", v));
        }
        let g = group_a2n(v).ok_or_else(|| invarg(&mut s.err, "Invalid \"group\" value\n", v))?;
        l.group = Some(g);
        addattr(s, m, l, LinkAttribute::Group(g));
    } else if w == "mode" {
        let v = a.next_arg(&mut s.err)?;
        let mode = if v.eq_ignore_ascii_case("default") {
            LinkMode::Default
        } else if v.eq_ignore_ascii_case("dormant") {
            LinkMode::Dormant
        } else {
            return Err(invarg(&mut s.err, "Invalid link mode\n", v));
        };
        addattr(s, m, l, LinkAttribute::Mode(mode));
    } else if w == "state" {
        let v = a.next_arg(&mut s.err)?;
        let st = get_operstate(v).ok_or_else(|| invarg(&mut s.err, "Invalid operstate\n", v))?;
        addattr(s, m, l, LinkAttribute::OperState(st));
    } else if matches(w, "numtxqueues") || matches(w, "numrxqueues") {
        let tx = matches(w, "numtxqueues");
        let key = if tx { "numtxqueues" } else { "numrxqueues" };
        let v = a.next_arg(&mut s.err)?;
        let seen = if tx { &mut l.numtx } else { &mut l.numrx };
        if *seen {
            return Err(duparg(&mut s.err, key, v));
        }
        *seen = true;
        let msg = format!("Invalid \"{key}\" value\n");
        let n = get_integer(v).ok_or_else(|| invarg(&mut s.err, &msg, v))? as u32;
        addattr(
            s,
            m,
            l,
            if tx {
                LinkAttribute::NumTxQueues(n)
            } else {
                LinkAttribute::NumRxQueues(n)
            },
        );
    } else {
        return parse_four(s, a, m, l);
    }
    Ok(false)
}

/// The last part of the keyword chain: addrgenmode to parentdev, the GSO
/// limits, and the device name.
fn parse_four(
    s: &mut Session,
    a: &mut Argv,
    m: &mut LinkMessage,
    l: &mut Locals,
) -> Result<bool, Abort> {
    let w = a.cur();
    if matches(w, "addrgenmode") {
        return Err(unsupported(s, w));
    } else if matches(w, "link-netns") {
        let v = a.next_arg(&mut s.err)?;
        if l.link_netnsid {
            return Err(duparg(&mut s.err, "link-netns/link-netnsid", v));
        }
        l.link_netnsid = true;
        let id = link_netns_id(s, v)?;
        if id < 0 {
            return Err(invarg(&mut s.err, "Invalid \"link-netns\" value\n", v));
        }
        addattr(s, m, l, LinkAttribute::LinkNetNsId(id));
    } else if matches(w, "link-netnsid") {
        let v = a.next_arg(&mut s.err)?;
        if l.link_netnsid {
            return Err(duparg(&mut s.err, "link-netns/link-netnsid", v));
        }
        l.link_netnsid = true;
        let id = get_integer(v)
            .ok_or_else(|| invarg(&mut s.err, "Invalid \"link-netnsid\" value\n", v))?;
        addattr(s, m, l, LinkAttribute::LinkNetNsId(id));
    } else if w == "protodown" {
        let v = a.next_arg(&mut s.err)?;
        let p = parse_on_off(s, "protodown", v)?;
        addattr(s, m, l, LinkAttribute::ProtoDown(p));
    } else if w == "protodown_reason" {
        let v = a.next_arg(&mut s.err)?;
        let reason = protodown_reason_a2n(v)
            .ok_or_else(|| invarg(&mut s.err, "invalid protodown reason\n", v))?;
        let on = a.next_arg(&mut s.err)?;
        let mask = 1u32 << reason;
        let value = if matches(on, "on") {
            mask
        } else if matches(on, "off") {
            0
        } else {
            return Err(on_off(s, "protodown_reason", on));
        };
        addattr(
            s,
            m,
            l,
            LinkAttribute::ProtoDownReason(vec![
                LinkProtocolDownReason::Mask(mask),
                LinkProtocolDownReason::Value(value),
            ]),
        );
    } else if w == "parentdev" {
        let v = a.next_arg(&mut s.err)?;
        addattr(s, m, l, LinkAttribute::ParentDevName(v.to_string()));
    } else if ["gso_max_size", "gso_max_segs", "gro_max_size"].contains(&w) {
        let v = a.next_arg(&mut s.err)?;
        let msg = format!("Invalid \"{w}\" value\n");
        let n = get_unsigned(v)
            .filter(|n| w != "gso_max_segs" || *n <= GSO_MAX_SEGS)
            .ok_or_else(|| invarg(&mut s.err, &msg, v))?;
        addattr(
            s,
            m,
            l,
            match w {
                "gso_max_size" => LinkAttribute::GsoMaxSize(n),
                "gso_max_segs" => LinkAttribute::GsoMaxSegs(n),
                _ => LinkAttribute::GroMaxSize(n),
            },
        );
    } else {
        parse_dev(s, a, l)?;
    }
    Ok(false)
}

/// `link-netns NAME`: `get_netnsid_from_name()`, and when the namespace
/// has no id there yet `set_netnsid_from_name(NAME, -1)` (RTM_NEWNSID)
/// and a second look; -1 when NAME names no namespace. NAME is a file
/// under /var/run/netns: "", "." and ".." open the directory, whose fd
/// the kernel refuses at each of the three requests.
fn link_netns_id(s: &mut Session, name: &str) -> Result<i32, Abort> {
    if let Some(peer) = s.names.get(name) {
        if let Some(id) = s.k.peernet2id(s.net, peer) {
            return Ok(id);
        }
        s.dirty = true;
        return Ok(s.k.rtnl_net_newid(s.net, peer));
    }
    if matches!(name, "" | "." | "..") {
        for _ in 0..3 {
            s.eprint("Error: Peer netns reference is invalid.\n");
        }
        return Ok(-1);
    }
    if name.contains('/') {
        // netns_get_fd() opens a path as given: a namespace file
        // elsewhere is not modelled.
        return Err(unsupported(s, &format!("link-netns {name}")));
    }
    Ok(-1)
}

/// lib/utils.c `protodown_reason_a2n()`: a name from
/// /etc/iproute2/protodown_reasons.d (this machine has none), else a
/// number below 32 (strtoul, base 0).
fn protodown_reason_a2n(arg: &str) -> Option<u32> {
    match crate::ip::util::strtoul(arg, 0)? {
        (v, _, true) if v < 32 => Some(v as u32),
        _ => None,
    }
}

/// The final `else` of the keyword chain: `[dev] NAME`.
fn parse_dev(s: &mut Session, a: &mut Argv, l: &mut Locals) -> Result<(), Abort> {
    if matches(a.cur(), "help") {
        return Err(usage(s));
    }
    if a.cur() == "dev" {
        a.next_arg(&mut s.err)?;
    }
    let v = a.cur();
    let dev_is_name = l.dev.is_none() && l.name.is_none() || l.name_is_dev;
    if !dev_is_name {
        return Err(duparg2(&mut s.err, "dev", v));
    }
    if !check_altifname(v) {
        return Err(invarg(&mut s.err, "\"dev\" not a valid ifname", v));
    }
    l.dev = Some(v.to_string());
    l.name_is_dev = false;
    Ok(())
}
