//! The local gateway runs every function the template declares, in process: this
//! writes the list of their handlers from `template.yaml` (`OUT_DIR/functions.rs`),
//! so a function is named in one place. Each function's crate is a dependency of
//! this one; a template function without its crate fails to compile here, and a
//! crate the template does not name fails `tests/tests/template.rs`.

#[allow(dead_code)]
#[path = "src/template.rs"]
mod template;

fn main() {
    let path = template::Template::default_path();
    println!("cargo:rerun-if-changed={}", path.display());
    println!("cargo:rerun-if-env-changed=PARTNER_HUB_TEMPLATE");
    let template = match template::Template::load(&path) {
        Ok(template) => template,
        Err(error) => {
            println!("cargo:error={error}");
            std::process::exit(1);
        }
    };
    let (mut http, mut events, mut clients) = (String::new(), String::new(), String::new());
    for (binary, is_http) in template.function_kinds() {
        let krate = binary.replace('-', "_");
        clients.push_str(&format!("        (\"{binary}\", {krate}::CLIENTS),\n"));
        if is_http {
            http.push_str(&format!("        (\"{binary}\", {krate}::ROUTES),\n"));
        } else {
            events.push_str(&format!(
                "        (\"{binary}\".to_string(), event_function!(app, {krate}::handle)),\n"
            ));
        }
    }
    let code = format!(
        "/// Each HTTP function's routes under its binary name (from template.yaml).\n\
         pub fn function_routes() -> Vec<(&'static str, &'static [Route])> {{\n    vec![\n{http}    ]\n}}\n\n\
         /// Each event-driven function's handler under its binary name (from template.yaml).\n\
         pub fn event_handlers(app: &Arc<App>) -> HashMap<String, EventHandler> {{\n    HashMap::from([\n{events}    ])\n}}\n\n\
         /// The AWS clients each function names in its `main` (from template.yaml).\n\
         pub fn function_clients() -> Vec<(&'static str, &'static [partner_hub::app::Client])> {{\n    vec![\n{clients}    ]\n}}\n"
    );
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("functions.rs");
    if let Err(error) = std::fs::write(&out, code) {
        println!("cargo:error=writing {}: {error}", out.display());
        std::process::exit(1);
    }
}
