//! Release builds of the two wasm artefacts: the widget (Trunk → dist/) and
//! the Worker (worker-build → edge/build/).

use crate::process::exec;
use crate::tools::Toolchain;
use crate::{Result, root, step};

pub fn all(toolchain: &Toolchain) -> Result {
    // Trunk runs cargo with --offline (Trunk.toml), so fetch crates first.
    step("Fetching crates");
    exec(toolchain.command("cargo").args(["fetch", "--quiet"]))?;
    widget(toolchain)?;
    edge(toolchain)
}

pub fn widget(toolchain: &Toolchain) -> Result {
    step("Building the widget (trunk build --release)");
    exec(toolchain.command("trunk").args(["build", "--release"]))?;
    step("Shortening the widget's wasm import names (wasm and glue alike)");
    let dist = root().join("dist");
    let (wasm_path, glue_path) = (
        dist.join("healthlink-widget_bg.wasm"),
        dist.join("healthlink-widget.js"),
    );
    let wasm = std::fs::read(&wasm_path).map_err(|e| format!("reading the widget's wasm: {e}"))?;
    let glue = std::fs::read_to_string(&glue_path).map_err(|e| format!("reading the glue: {e}"))?;
    let (wasm, glue) = crate::import_names::shorten(&wasm, &glue)?;
    std::fs::write(&wasm_path, wasm).map_err(|e| format!("writing the widget's wasm: {e}"))?;
    std::fs::write(&glue_path, glue).map_err(|e| format!("writing the glue: {e}"))?;
    // Trunk's own minifier cannot parse the wasm-bindgen glue; esbuild can.
    // Minified in place, as ES modules (exports and `import.meta` kept).
    step("Minifying the widget's JavaScript (esbuild)");
    for file in ["healthlink.js", "healthlink-widget.js"] {
        let path = root().join("dist").join(file);
        exec(
            toolchain
                .command(toolchain.node_bin.join("esbuild"))
                .arg(&path)
                .args(["--minify", "--format=esm", "--target=es2022"])
                .arg("--allow-overwrite")
                .arg(format!("--outfile={}", path.display())),
        )?;
    }
    Ok(())
}

pub fn edge(toolchain: &Toolchain) -> Result {
    step("Building the edge Worker (worker-build --release)");
    exec(
        toolchain
            .command("worker-build")
            .arg("--release")
            .current_dir(root().join("edge")),
    )
}
