use hooks_runtime::prelude::*;

#[derive(Message)]
#[message(response = u32)]
struct Count;

fn main() {}
