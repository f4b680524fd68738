//! The memos a step the step cache runs goes through, below the step
//! itself: a message delivered to an agent (`deliver_memo`) and an
//! rtnetlink request sent to a kernel (`request_memo`). Each answers what
//! it answered before for the same input (an agent or kernel version, a
//! content hash), so that worlds reached by different paths share one
//! agent or kernel and the step cache keeps hitting after them. Both live
//! as long as the search's `StepCache` (its drop empties them).

use crate::agent::{Agent, Msg};
use crate::fast_hash::{insert_bounded, FastMap};
use crate::kcell::KernelCell;
use crate::step_cache::MAX_ENTRIES;
use crate::world::AgentSlot;
use ifnet_core::fingerprint::FpHasher;
use ifnet_core::NetId;
use std::hash::Hash;
use std::sync::{Arc, OnceLock};

/// A delivery's identity: the receiver's version and the message's
/// content.
#[derive(PartialEq, Eq, Hash)]
struct DeliveryKey {
    receiver: u64,
    msg: u128,
}

thread_local! {
    static DELIVERIES: std::cell::RefCell<FastMap<DeliveryKey, AgentSlot>> = Default::default();
}

/// Delivers `m` to an agent through a memo: the agent of this version that
/// received this message before is shared instead of copied and changed
/// again, so that the worlds where it arrives agree on the agent's version
/// (and the step cache can hit after it).
pub(crate) fn deliver_memo(
    slot: &mut AgentSlot,
    m: &Msg,
    hash: &OnceLock<u128>,
    deliver: impl FnOnce(&mut Arc<dyn Agent>, &Msg) -> u64,
) {
    let msg = *hash.get_or_init(|| {
        let mut h = FpHasher::default();
        m.hash(&mut h);
        h.finish128()
    });
    let key = DeliveryKey {
        receiver: slot.ver,
        msg,
    };
    if let Some(hit) = DELIVERIES.with(|d| d.borrow().get(&key).cloned()) {
        *slot = hit;
        return;
    }
    slot.ver = deliver(&mut slot.agent, m);
    slot.cache = Default::default();
    DELIVERIES.with(|d| insert_bounded(&mut d.borrow_mut(), MAX_ENTRIES, key, slot.clone()));
}

/// A request's identity: the kernel version it met, the namespace it was
/// sent in and its bytes' content.
#[derive(PartialEq, Eq, Hash)]
struct RequestKey {
    kernel: u64,
    net: NetId,
    bytes: u128,
}

type Answer = Result<Vec<Vec<u8>>, ifnet_core::window::RtnlHeld>;

thread_local! {
    static REQUESTS: std::cell::RefCell<FastMap<RequestKey, (KernelCell, Answer)>> =
        Default::default();
}

/// `Kernel::rtnl_try_request` through a memo: a request is a function of
/// the kernel it meets (one version is one content) and of its bytes, so
/// the same request on the same kernel version takes the kernel it made
/// then (shared, fingerprint and invariants cached with it) and the same
/// replies, instead of running again. Two worlds that differ only in the
/// requester's history (udevd renaming a VF whose events came by two
/// orders) send one rename to one kernel: azure-vf-hotadd 6.18 sends 58
/// requests, 29 of them distinct. Used only while the step cache records
/// a missed step (`Cx::memo`); a replay runs every request.
pub(crate) fn request_memo(kernel: &mut KernelCell, net: NetId, bytes: &[u8]) -> Answer {
    let mut h = FpHasher::default();
    bytes.hash(&mut h);
    let key = RequestKey {
        kernel: kernel.version(),
        net,
        bytes: h.finish128(),
    };
    if let Some((k, answer)) = REQUESTS.with(|r| r.borrow().get(&key).cloned()) {
        *kernel = k;
        kernel.mark_touched();
        return answer;
    }
    let answer = kernel.rtnl_try_request(net, bytes);
    let kept = (kernel.clone(), answer.clone());
    REQUESTS.with(|r| insert_bounded(&mut r.borrow_mut(), MAX_ENTRIES, key, kept));
    answer
}

impl Drop for crate::step_cache::StepCache {
    /// The delivery and request memos live as long as the search's cache:
    /// what they hold is of no use to another search (versions are never
    /// shared).
    fn drop(&mut self) {
        DELIVERIES.with(|d| d.borrow_mut().clear());
        REQUESTS.with(|r| r.borrow_mut().clear());
    }
}
