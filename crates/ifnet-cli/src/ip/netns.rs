//! `ip netns list|add|delete` (iproute2 6.1 ip/ipnetns.c). Named
//! namespaces live in the model instead of /run/netns, but the messages
//! name the path ip would have used.

use crate::ip::jsonw::Ctx;
use crate::ip::util::matches;
use crate::session::Session;
use crate::{Abort, IpResult};

const NETNS_RUN_DIR: &str = "/run/netns";

const USAGE: &str = "Usage:\tip netns list
\tip netns add NAME
\tip netns attach NAME PID
\tip netns set NAME NETNSID
\tip [-all] netns delete [NAME]
\tip netns identify [PID]
\tip netns pids NAME
\tip [-all] netns exec [NAME] cmd ...
\tip netns monitor
\tip netns list-id [target-nsid POSITIVE-INT] [nsid POSITIVE-INT]
NETNSID := auto | POSITIVE-INT
";

/// ipnetns.c `invalid_name()`.
fn invalid_name(name: &str) -> bool {
    name.is_empty() || name.len() > 255 || name.contains('/') || name == "." || name == ".."
}

/// `do_netns()`.
pub fn do_netns(s: &mut Session, words: &[String]) -> IpResult {
    let Some(verb) = words.first().map(|w| w.as_str()) else {
        return netns_list(s);
    };
    if !s.opts.all && words.len() > 1 && invalid_name(&words[1]) {
        s.eprint(&format!("Invalid netns name \"{}\"\n", words[1]));
        return Err(Abort::Exit(255));
    }
    if matches(verb, "list") || matches(verb, "show") || matches(verb, "lst") {
        return netns_list(s);
    }
    if matches(verb, "list-id") {
        return unsupported(s, verb);
    }
    if matches(verb, "help") {
        s.eprint(USAGE);
        return Err(Abort::Exit(255));
    }
    if matches(verb, "add") {
        return netns_add(s, &words[1..]);
    }
    if matches(verb, "set") {
        return unsupported(s, verb);
    }
    if matches(verb, "delete") {
        return netns_delete(s, &words[1..]);
    }
    if ["identify", "pids", "exec", "monitor", "attach"]
        .iter()
        .any(|v| matches(verb, v))
    {
        return unsupported(s, verb);
    }
    s.eprint(&format!(
        "Command \"{verb}\" is unknown, try \"ip netns help\".\n"
    ));
    Err(Abort::Exit(255))
}

fn unsupported(s: &mut Session, verb: &str) -> IpResult {
    s.eprint(&format!(
        "ifnet: \"ip netns {verb}\" is not supported yet\n"
    ));
    Err(Abort::Exit(255))
}

/// `netns_list()`: one name per line, " (id: N)" when this namespace has
/// an nsid for it.
fn netns_list(s: &mut Session) -> IpResult {
    s.p.new_json_obj();
    for (name, net) in s.names.list() {
        s.p.open_object(None);
        s.p.string(Ctx::Any, Some("name"), &name, &name);
        if let Some(id) = s.k.peernet2id(s.net, net) {
            s.p.num(Ctx::Any, Some("id"), &format!(" (id: {id})"), id as i128);
        }
        s.p.string(Ctx::Fp, None, "\n", "");
        s.p.close_object();
    }
    s.p.delete_json_obj();
    Ok(0)
}

/// `netns_add(..., create=true)`.
fn netns_add(s: &mut Session, args: &[String]) -> IpResult {
    let Some(name) = args.first() else {
        s.eprint("No netns name specified\n");
        return Ok(-1);
    };
    s.dirty = true;
    match s.names.add(&mut s.k, name) {
        Ok(_) => Ok(0),
        Err(e) => {
            s.eprint(&format!(
                "Cannot create namespace file \"{NETNS_RUN_DIR}/{name}\": {}\n",
                e.errno.strerror()
            ));
            Ok(-1)
        }
    }
}

/// `netns_delete()` / `on_netns_del()`; `-all` deletes every name.
fn netns_delete(s: &mut Session, args: &[String]) -> IpResult {
    if args.is_empty() && !s.opts.all {
        s.eprint("No netns name specified\n");
        return Ok(-1);
    }
    s.dirty = true;
    let names: Vec<String> = if s.opts.all {
        s.names.list().into_iter().map(|(n, _)| n).collect()
    } else {
        vec![args[0].clone()]
    };
    for name in names {
        if let Err(e) = s.names.del(&mut s.k, &name) {
            s.eprint(&format!(
                "Cannot remove namespace file \"{NETNS_RUN_DIR}/{name}\": {}\n",
                e.errno.strerror()
            ));
            return Ok(-1);
        }
    }
    Ok(0)
}
