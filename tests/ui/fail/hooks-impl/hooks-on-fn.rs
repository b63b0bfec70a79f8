use hooks_runtime::prelude::*;

#[hooks]
fn init() {}

fn main() {}
