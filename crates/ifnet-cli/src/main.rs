//! The `ifnet` binary: see the library for everything it does.
#![forbid(unsafe_code)]

/// mimalloc: a batch allocates and frees small objects at a high rate (a
/// netlink message per request, names, link-cache entries); mimalloc's
/// size-class pages cut the batch benchmark by ~13% against glibc malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = Vec::new();
    for (i, a) in std::env::args_os().skip(1).enumerate() {
        match a.into_string() {
            Ok(a) => args.push(a),
            // Lossy conversion would make different names collide (both
            // become U+FFFD); the model's names and words are UTF-8.
            Err(a) => {
                eprintln!(
                    "ifnet: argument {} ({}) is not valid UTF-8; ifnet handles only UTF-8 \
                     names and arguments",
                    i + 1,
                    a.to_string_lossy()
                );
                std::process::exit(255);
            }
        }
    }
    std::process::exit(ifnet_cli::app::run(&args));
}
