//! `ip link property add|del dev NAME altname ALT…` (iproute2 6.1
//! iplink.c `iplink_prop` / `iplink_prop_mod`): RTM_NEWLINKPROP with
//! NLM_F_EXCL|NLM_F_CREATE|NLM_F_APPEND, or RTM_DELLINKPROP, carrying an
//! IFLA_PROP_LIST nest of IFLA_ALT_IFNAME.

use netlink_packet_core::{NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::link::{LinkAttribute, LinkMessage, Prop};
use netlink_packet_route::RouteNetlinkMessage;

use crate::ip::util::{addattr_l, check_altifname, matches, IPLINK_REQ_SIZE, REQ_HDR_LEN};
use crate::session::Session;
use crate::{invarg, Abort, IpResult};

/// `iplink_prop()`.
pub fn iplink_prop(s: &mut Session, words: &[String]) -> IpResult {
    let Some(op) = words.first() else {
        s.eprint(crate::ip::link_parse::IPLINK_USAGE);
        return Err(Abort::Exit(255));
    };
    let (add, flags) = if matches(op, "add") {
        (true, NLM_F_EXCL | NLM_F_CREATE | NLM_F_APPEND)
    } else if matches(op, "del") {
        (false, 0)
    } else if op == "help" {
        s.eprint(crate::ip::link_parse::IPLINK_USAGE);
        return Err(Abort::Exit(255));
    } else {
        s.eprint("Operator required\n");
        return Err(Abort::Exit(255));
    };
    let mut dev: Option<String> = None;
    let mut alts: Vec<Prop> = Vec::new();
    // The request after addattr_nest(IFLA_PROP_LIST | NLA_F_NESTED).
    let mut len = REQ_HDR_LEN;
    addattr_l(&mut s.err, &mut len, IPLINK_REQ_SIZE, 0);
    let mut i = 1;
    while i < words.len() {
        let w = words[i].as_str();
        if matches(w, "altname") {
            i += 1;
            let Some(v) = words.get(i) else {
                s.eprint("Command line is not complete. Try option \"help\"\n");
                return Err(Abort::Exit(255));
            };
            if !check_altifname(v) {
                return Err(invarg(&mut s.err, "not a valid altname", v));
            }
            // addattr_l(IFLA_ALT_IFNAME, strlen + 1) into the 1,056-byte
            // request: one that does not fit is left out.
            if addattr_l(&mut s.err, &mut len, IPLINK_REQ_SIZE, v.len() + 1) {
                alts.push(Prop::AltIfName(v.clone()));
            }
        } else if matches(w, "help") {
            s.eprint(crate::ip::link_parse::IPLINK_USAGE);
            return Err(Abort::Exit(255));
        } else {
            let mut name = w;
            if w == "dev" {
                i += 1;
                match words.get(i) {
                    Some(v) => name = v,
                    None => {
                        s.eprint("Command line is not complete. Try option \"help\"\n");
                        return Err(Abort::Exit(255));
                    }
                }
            }
            if let Some(d) = &dev {
                s.eprint(&format!(
                    "Error: either \"dev\" is duplicate, or \"{name}\" is a garbage.\n"
                ));
                let _ = d;
                return Err(Abort::Exit(255));
            }
            if !check_altifname(name) {
                return Err(invarg(&mut s.err, "\"dev\" not a valid ifname", name));
            }
            dev = Some(name.to_string());
        }
        i += 1;
    }
    let Some(dev) = dev else {
        s.eprint("Not enough of information: \"dev\" argument is required.\n");
        return Err(Abort::Exit(255));
    };
    let index = s.ll_name_to_index(&dev);
    if index == 0 {
        s.eprint(&format!("Cannot find device \"{dev}\"\n"));
        return Ok(-1);
    }
    let mut lm = LinkMessage::default();
    lm.header.index = index;
    lm.attributes.push(LinkAttribute::PropList(alts));
    let msg = if add {
        RouteNetlinkMessage::NewLinkProp(lm)
    } else {
        RouteNetlinkMessage::DelLinkProp(lm)
    };
    match s.talk(msg, flags, false, true) {
        Ok(_) => Ok(0),
        Err(_) => Ok(-2),
    }
}
