//! The `ip` side: iproute2 6.1's objects, each parsed and printed as its C
//! source does (`link_parse` = iplink.c iplink_parse, `link_modify` =
//! iplink_modify and link_veth.c, `link_prop` = iplink_prop, `link_show` =
//! ipaddress.c ipaddr_list_flush_or_save, `print_link`/`print_bridge`/
//! `print_stats` = print_linkinfo and its helpers, `maddr` = ipmaddr.c,
//! `netns` = ipnetns.c, `monitor` = ipmonitor.c), and the pieces of
//! iproute2's lib/ they share (`args` = ip.c main's options, `color` = lib/color.c, `util` =
//! lib/utils.c, `jsonw` = json_writer.c/json_print.c, `llmap` = ll_map.c).
//! `ip address` is `ipaddress` (ipaddr_list_flush_or_save), `addr_modify`
//! (ipaddr_modify, ipaddr_flush), `print_addr` (print_addrinfo) and
//! `addr_parse` (lib/utils.c's get_prefix/get_addr, rt_names.c's scopes).

pub mod addr_modify;
pub mod addr_parse;
pub mod args;
pub mod color;
pub mod ipaddress;
pub mod jsonw;
pub mod link_bond;
pub mod link_ipoib;
pub mod link_modify;
pub mod link_parse;
pub mod link_prop;
pub mod link_show;
pub mod llmap;
pub mod maddr;
pub mod monitor;
pub mod netns;
pub mod print_addr;
pub mod print_bond;
pub mod print_bridge;
pub mod print_details;
pub mod print_link;
pub mod print_stats;
pub mod util;
