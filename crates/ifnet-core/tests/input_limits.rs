//! Over-long attributes from any client: the encoder refuses what netlink
//! cannot carry (no panic), and the rtnetlink parser answers with the
//! kernel's errno and extack (net/core/rtnetlink.c ifla_policy,
//! lib/nlattr.c validate_nla, rtnl_alt_ifname).

use ifnet_core::client::{decode, encode, try_encode, Client, EncodeError, NlError};
use ifnet_core::{Errno, Kernel, KernelProfile};
use netlink_packet_core::{
    DefaultNla, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST,
};
use netlink_packet_route::link::{LinkAttribute, LinkMessage, Prop};
use netlink_packet_route::RouteNetlinkMessage;

fn kernel_with_veth() -> (Kernel, ifnet_core::NetId, u32) {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "v1").unwrap();
    let idx = c.get("v0").unwrap().header.index;
    (k, init, idx)
}

fn send(
    k: &mut Kernel,
    net: ifnet_core::NetId,
    msg: RouteNetlinkMessage,
    flags: u16,
) -> Result<(), NlError> {
    let bytes = try_encode(msg, NLM_F_REQUEST | NLM_F_ACK | flags, 1).expect("fits");
    decode(&k.rtnl_request(net, &bytes)).1
}

fn policy_err() -> Result<(), NlError> {
    Err(NlError {
        errno: Errno::ERANGE,
        extack: Some("Attribute failed policy validation".into()),
    })
}

fn prop(index: u32, names: &[&str]) -> RouteNetlinkMessage {
    let mut m = LinkMessage::default();
    m.header.index = index;
    m.attributes.push(LinkAttribute::PropList(
        names
            .iter()
            .map(|n| Prop::AltIfName(n.to_string()))
            .collect(),
    ));
    RouteNetlinkMessage::NewLinkProp(m)
}

/// try_to_bytes(): an attribute past nla_len (u16) is an error, at any
/// nesting depth, and `encode` gives an empty buffer instead of panicking.
#[test]
fn try_to_bytes_refuses_attributes_past_nla_len() {
    let long = "a".repeat(65_531);
    let msg = prop(3, &[&long]);
    match try_encode(msg.clone(), NLM_F_REQUEST, 1) {
        Err(EncodeError::AttributeTooLong { kind, value_len }) => {
            assert_eq!(kind & 0x3fff, 52, "IFLA_PROP_LIST");
            assert_eq!(value_len, 4 + 65_532);
        }
        other => panic!("expected AttributeTooLong, got {other:?}"),
    }
    assert!(encode(msg, NLM_F_REQUEST, 1).is_empty());
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName("b".repeat(65_532)));
    assert!(matches!(
        try_encode(RouteNetlinkMessage::NewLink(m), NLM_F_REQUEST, 1),
        Err(EncodeError::AttributeTooLong { kind: 3, .. })
    ));
    // The largest value that fits is encoded.
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::Other(DefaultNla::new(
        20,
        vec![b'c'; 65_531],
    )));
    let bytes = try_encode(RouteNetlinkMessage::NewLink(m), NLM_F_REQUEST, 1).unwrap();
    assert_eq!(bytes.len(), 32 + 4 + 65_532);
    // Client::request: EMSGSIZE, nothing sent.
    let (mut k, init, idx) = kernel_with_veth();
    let mut c = Client::new(&mut k, init);
    let e = c.request(prop(idx, &[&long]), NLM_F_ACK).unwrap_err();
    assert_eq!(e.errno, Errno::EMSGSIZE);
}

/// validate_nla(): IFLA_IFNAME / IFLA_ALT_IFNAME are NLA_STRING (one
/// trailing NUL dropped, at least one byte), IFLA_IFALIAS NLA_BINARY (the
/// NUL counts), all checked on the raw bytes.
#[test]
fn ifla_policy_string_lengths_on_raw_bytes() {
    let (mut k, init, idx) = kernel_with_veth();
    let set = |attr: LinkAttribute| {
        let mut m = LinkMessage::default();
        m.header.index = idx;
        m.attributes.push(attr);
        RouteNetlinkMessage::NewLink(m)
    };
    let raw = |t: u16, v: &[u8]| LinkAttribute::Other(DefaultNla::new(t, v.to_vec()));
    let mut alias = vec![b'a'; 255];
    assert_eq!(send(&mut k, init, set(raw(20, &alias)), 0), Ok(()));
    alias.push(0);
    assert_eq!(send(&mut k, init, set(raw(20, &alias)), 0), policy_err());
    assert_eq!(send(&mut k, init, set(raw(3, b"")), 0), policy_err());
    let mut name = vec![b'n'; 15];
    name.push(0);
    assert_eq!(send(&mut k, init, set(raw(3, &name)), 0), Ok(()));
    assert_eq!(
        send(&mut k, init, set(raw(3, &[b'n'; 16])), 0),
        policy_err()
    );
    // An interior NUL does not shorten an NLA_STRING for the policy.
    let mut alt = b"ab\0".to_vec();
    alt.extend_from_slice(&[b'z'; 200]);
    assert_eq!(send(&mut k, init, set(raw(53, &alt)), 0), policy_err());
    assert_eq!(
        send(&mut k, init, set(raw(53, &[b'z'; 128])), 0),
        policy_err()
    );
}

/// rtnl_alt_ifname(): an altname past ALTIFNAMSIZ-1 is a policy error
/// after the device lookup; past 496 altnames, "effective property list
/// too long" keeps IFLA_PROP_LIST within nla_len.
#[test]
fn rtnl_alt_ifname_limits() {
    let (mut k, init, idx) = kernel_with_veth();
    let flags = NLM_F_CREATE | NLM_F_EXCL | NLM_F_APPEND;
    let long = "l".repeat(128);
    assert_eq!(send(&mut k, init, prop(idx, &[&long]), flags), policy_err());
    assert_eq!(
        send(&mut k, init, prop(999, &[&long]), flags)
            .unwrap_err()
            .errno,
        Errno::ENODEV
    );
    for i in 0..496 {
        let n = format!("alt{i}");
        assert_eq!(send(&mut k, init, prop(idx, &[&n]), flags), Ok(()), "{n}");
    }
    assert_eq!(
        send(&mut k, init, prop(idx, &["one-more"]), flags),
        Err(NlError {
            errno: Errno::EINVAL,
            extack: Some("effective property list too long".into()),
        })
    );
    // The fill of a device with the most altnames still fits.
    let mut c = Client::new(&mut k, init);
    assert_eq!(c.get("v0").unwrap().header.index, idx);
}
