//! The sending socket: `netlink_ack()` stamps the sender's portid and the
//! request's sequence, echoes the whole request unless NETLINK_CAP_ACK and
//! attaches extack TLVs only with NETLINK_EXT_ACK; `netlink_dump()` /
//! `netlink_recvmsg()` split a dump across reads; `__netlink_dump_start()`
//! refuses a second dump with EBUSY.

use ifnet_core::client::{encode, nlmsg_pid, nlmsg_seq, split_messages, Client};
use ifnet_core::rtnetlink::socket::{MAX_RECVMSG_LEN, NLMSG_GOODSIZE};
use ifnet_core::rtnetlink::NetlinkSocket;
use ifnet_core::{Kernel, KernelProfile};
use netlink_packet_core::{NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_route::link::{LinkAttribute, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;

const NLM_F_MULTI: u16 = 2;
const NLM_F_CAPPED: u16 = 0x100;
const NLM_F_ACK_TLVS: u16 = 0x200;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(b[at..at + 4].try_into().unwrap())
}

/// A request moving lo to another namespace: EINVAL with the extack text
/// "The interface netns is immutable".
fn move_lo(k: &mut Kernel, seq: u32) -> Vec<u8> {
    let ns = k.netns_new().unwrap();
    let mut m = LinkMessage::default();
    m.header.index = 1;
    m.attributes
        .push(LinkAttribute::NetNsFd(k.netns_fd(ns) as i32));
    encode(
        RouteNetlinkMessage::NewLink(m),
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
    )
}

fn send_one(k: &mut Kernel, sock: &mut NetlinkSocket, req: &[u8]) -> Vec<u8> {
    k.netlink_sendmsg(sock, req).unwrap();
    let d = k.netlink_recvmsg(sock, 1 << 16).expect("an answer");
    assert!(k.netlink_recvmsg(sock, 1 << 16).is_none(), "one datagram");
    d.bytes
}

/// netlink_ack(): without NETLINK_CAP_ACK an error echoes the whole
/// request (no NLM_F_CAPPED); nlmsg_pid is the sender's portid
/// (NETLINK_CB(in_skb).portid), nlmsg_seq the request's.
#[test]
fn netlink_ack_echoes_whole_request_without_cap_ack() {
    let mut k = Kernel::new(KernelProfile::latest());
    let req = move_lo(&mut k, 77);
    let mut sock = NetlinkSocket::iproute2(k.init_net(), 4242);
    let r = send_one(&mut k, &mut sock, &req);
    assert_eq!(u16_at(&r, 4), NLMSG_ERROR);
    assert_eq!(u16_at(&r, 6), NLM_F_ACK_TLVS, "not capped, TLVs");
    assert_eq!(u32_at(&r, 8), 77, "nlmsg_seq of the request");
    assert_eq!(u32_at(&r, 12), 4242, "nlmsg_pid of the sender");
    assert_eq!(i32::from_ne_bytes(r[16..20].try_into().unwrap()), -22);
    let echo_end = 20 + ((req.len() + 3) & !3);
    assert_eq!(&r[20..20 + req.len()], &req[..], "whole request echoed");
    assert_eq!(u16_at(&r, echo_end + 2), 1, "NLMSGERR_ATTR_MSG after it");
    let text = b"The interface netns is immutable\0";
    assert_eq!(&r[echo_end + 4..echo_end + 4 + text.len()], text);
    // The client's decoder finds the text past the whole echo.
    let (_, res) = ifnet_core::client::decode(&[r]);
    assert_eq!(
        res.unwrap_err().extack.as_deref(),
        Some("The interface netns is immutable")
    );
}

/// netlink_ack(): NETLINK_CAP_ACK caps an error to the request's header.
#[test]
fn netlink_ack_cap_ack_echoes_header_only() {
    let mut k = Kernel::new(KernelProfile::latest());
    let req = move_lo(&mut k, 3);
    let mut sock = NetlinkSocket::iproute2(k.init_net(), 9);
    sock.cap_ack = true;
    let r = send_one(&mut k, &mut sock, &req);
    assert_eq!(u16_at(&r, 6), NLM_F_CAPPED | NLM_F_ACK_TLVS);
    assert_eq!(&r[20..36], &req[..16]);
    assert_eq!(u16_at(&r, 38), 1, "NLMSGERR_ATTR_MSG right after");
}

/// netlink_ack_tlv_len(): no NETLINK_EXT_ACK, no TLVs (and no
/// NLM_F_ACK_TLVS), even though the handler set an extack message.
#[test]
fn netlink_ack_tlvs_only_with_ext_ack() {
    let mut k = Kernel::new(KernelProfile::latest());
    let req = move_lo(&mut k, 5);
    let mut sock = NetlinkSocket::new(k.init_net(), 11);
    let r = send_one(&mut k, &mut sock, &req);
    assert_eq!(u16_at(&r, 6), 0, "neither CAPPED nor ACK_TLVS");
    assert_eq!(r.len(), 20 + ((req.len() + 3) & !3), "no TLVs");
    assert_eq!(u32_at(&r, 12), 11);
}

/// netlink_ack(): a success is always capped (36 bytes), with the
/// sender's portid.
#[test]
fn netlink_ack_success_is_capped() {
    let mut k = Kernel::new(KernelProfile::latest());
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName("lo".into()));
    m.attributes.push(LinkAttribute::Mtu(1500));
    let req = encode(
        RouteNetlinkMessage::SetLink(m),
        NLM_F_REQUEST | NLM_F_ACK,
        8,
    );
    let mut sock = NetlinkSocket::iproute2(k.init_net(), 31);
    let r = send_one(&mut k, &mut sock, &req);
    assert_eq!(r.len(), 36);
    assert_eq!(u16_at(&r, 6), NLM_F_CAPPED);
    assert_eq!(i32::from_ne_bytes(r[16..20].try_into().unwrap()), 0);
    assert_eq!((u32_at(&r, 8), u32_at(&r, 12)), (8, 31));
}

fn dump_request(seq: u32) -> Vec<u8> {
    encode(
        RouteNetlinkMessage::GetLink(LinkMessage::default()),
        NLM_F_REQUEST | NLM_F_DUMP,
        seq,
    )
}

fn bridges(k: &mut Kernel, n: usize) {
    let init = k.init_net();
    let mut c = Client::new(k, init);
    for i in 0..n {
        c.add_bridge(&format!("br{i}")).unwrap();
    }
}

/// netlink_dump(): the first skb is NLMSG_GOODSIZE; each later one is
/// sized by the largest read (max_recvmsg_len); every datagram holds whole
/// NLM_F_MULTI messages with the reader's portid and the dump's sequence;
/// NLMSG_DONE only in the last; rtnl_dump_ifinfo resumes at ctx->ifindex,
/// so a device registered between reads is still dumped.
#[test]
fn netlink_dump_spans_reads() {
    let mut k = Kernel::new(KernelProfile::latest());
    bridges(&mut k, 40);
    let mut sock = NetlinkSocket::iproute2(k.init_net(), 500);
    k.netlink_sendmsg(&mut sock, &dump_request(21)).unwrap();
    let mut reads = Vec::new();
    let mut added = false;
    while let Some(d) = k.netlink_recvmsg(&mut sock, 8192) {
        assert!(!d.truncated);
        reads.push(d.bytes);
        if !added {
            bridges_named(&mut k, "late0");
            added = true;
        }
    }
    assert!(reads.len() > 2, "the dump spans several reads");
    assert!(
        reads[0].len() <= NLMSG_GOODSIZE,
        "first skb: NLMSG_GOODSIZE"
    );
    assert!(reads[1..].iter().all(|r| r.len() <= 8192));
    assert!(reads[1].len() > NLMSG_GOODSIZE, "later skbs: the read size");
    let mut links = 0;
    let mut last_index = 0;
    for (i, r) in reads.iter().enumerate() {
        for m in split_messages(r) {
            assert_eq!((nlmsg_pid(m), nlmsg_seq(m)), (500, 21));
            assert_ne!(u16_at(m, 6) & NLM_F_MULTI, 0, "NLM_F_MULTI");
            if u16_at(m, 4) == NLMSG_DONE {
                assert_eq!(i, reads.len() - 1, "NLMSG_DONE in the last read");
            } else {
                let index = u32_at(m, 20);
                assert!(index > last_index, "ifindex order");
                last_index = index;
                links += 1;
            }
        }
    }
    assert_eq!(links, 1 + 40 + 1, "lo, 40 bridges, and late0");
    assert!(!sock.dump_running());
}

fn bridges_named(k: &mut Kernel, name: &str) {
    let init = k.init_net();
    Client::new(k, init).add_bridge(name).unwrap();
}

/// netlink_recvmsg(): a buffer shorter than the datagram gets MSG_TRUNC
/// and loses the rest; max_recvmsg_len is capped at
/// SKB_WITH_OVERHEAD(32768), so a huge buffer still gets 32 KiB skbs.
#[test]
fn netlink_recvmsg_truncates_and_caps() {
    let mut k = Kernel::new(KernelProfile::latest());
    bridges(&mut k, 200);
    let mut sock = NetlinkSocket::iproute2(k.init_net(), 1);
    k.netlink_sendmsg(&mut sock, &dump_request(1)).unwrap();
    let first = k.netlink_recvmsg(&mut sock, 100).unwrap();
    assert!(first.truncated);
    assert_eq!(first.bytes.len(), 100);
    let mut sizes = Vec::new();
    while let Some(d) = k.netlink_recvmsg(&mut sock, 1 << 20) {
        sizes.push(d.bytes.len());
    }
    assert!(sizes.iter().all(|&s| s <= MAX_RECVMSG_LEN));
    assert!(sizes[1] > MAX_RECVMSG_LEN - 2000, "skbs fill the cap");
}

/// __netlink_dump_start(): EBUSY while a dump runs on the socket (the
/// error is acked even without NLM_F_ACK); the running dump goes on.
#[test]
fn netlink_dump_start_busy() {
    let mut k = Kernel::new(KernelProfile::latest());
    bridges(&mut k, 60);
    let mut sock = NetlinkSocket::iproute2(k.init_net(), 2);
    let mut buf = dump_request(1);
    buf.extend(dump_request(2));
    k.netlink_sendmsg(&mut sock, &buf).unwrap();
    let first = k.netlink_recvmsg(&mut sock, 1 << 16).unwrap();
    assert_eq!(nlmsg_seq(&first.bytes), 1);
    let busy = k.netlink_recvmsg(&mut sock, 1 << 16).unwrap();
    assert_eq!(u16_at(&busy.bytes, 4), NLMSG_ERROR);
    assert_eq!((nlmsg_seq(&busy.bytes), nlmsg_pid(&busy.bytes)), (2, 2));
    assert_eq!(
        i32::from_ne_bytes(busy.bytes[16..20].try_into().unwrap()),
        -16
    );
    let mut done = false;
    while let Some(d) = k.netlink_recvmsg(&mut sock, 1 << 16) {
        done |= split_messages(&d.bytes).any(|m| u16_at(m, 4) == NLMSG_DONE && nlmsg_seq(m) == 1);
    }
    assert!(done, "the first dump completes");
}

/// rtnl_getlink(): the answer is rtnl_unicast() to the sender, filled with
/// NETLINK_CB(skb).portid and the request's sequence.
#[test]
fn rtnl_getlink_reply_carries_sender_portid() {
    let mut k = Kernel::new(KernelProfile::latest());
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName("lo".into()));
    let req = encode(RouteNetlinkMessage::GetLink(m), NLM_F_REQUEST, 44);
    let mut sock = NetlinkSocket::iproute2(k.init_net(), 7007);
    let r = send_one(&mut k, &mut sock, &req);
    assert_eq!(u16_at(&r, 4), 16, "RTM_NEWLINK");
    assert_eq!((nlmsg_seq(&r), nlmsg_pid(&r)), (44, 7007));
}
