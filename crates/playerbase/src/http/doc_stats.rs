//! The stats are configured, not compiled in, so the document learns them
//! at start: `stats` and `levels` become objects with one required integer
//! per configured key (what a typed client, or Unity's JsonUtility, needs to
//! read them into a class), and the inputs that name a stat list the keys.

use serde_json::{Value, json};

use crate::domain::StatCatalog;

pub fn describe(doc: &mut Value, catalog: &StatCatalog) {
    let keys: Vec<&str> = catalog.iter().map(|def| def.key.as_str()).collect();
    let mut stats = serde_json::Map::new();
    let mut levels = serde_json::Map::new();
    for def in catalog.iter() {
        let mut value = json!({"type": "integer", "format": "int64", "description": def.label});
        if let Some(min) = def.min {
            value["minimum"] = json!(min);
        }
        if let Some(max) = def.max {
            value["maximum"] = json!(max);
        }
        stats.insert(def.key.clone(), value);
        if def.levels.is_some() {
            levels.insert(def.key.clone(), json!({"type": "integer", "format": "int64", "minimum": 1}));
        }
    }
    let schemas = &mut doc["components"]["schemas"];
    schemas["Stats"] = object_of(stats, "Every configured stat's value, by key, in configuration order.");
    schemas["Levels"] = object_of(levels, "The level of every configured stat that has a level curve.");
    schemas["PublicPlayer"]["properties"]["stats"] = json!({"$ref": "#/components/schemas/Stats"});
    schemas["PublicPlayer"]["properties"]["levels"] = json!({"$ref": "#/components/schemas/Levels"});
    schemas["PlayerStatsAfter"]["properties"]["stats"] = json!({"$ref": "#/components/schemas/Stats"});
    schemas["PlayerAwards"]["properties"]["stats"]["propertyNames"] = json!({"enum": keys});
    schemas["BatchAward"]["properties"]["stat"]["enum"] = json!(keys);
    for item in doc["paths"].as_object_mut().into_iter().flat_map(|paths| paths.values_mut()) {
        for operation in item.as_object_mut().into_iter().flat_map(|item| item.values_mut()) {
            for parameter in operation["parameters"].as_array_mut().into_iter().flatten() {
                if parameter["name"] == "stat" && parameter["in"] == "path" {
                    parameter["schema"] = json!({"type": "string", "enum": keys});
                }
            }
        }
    }
}

fn object_of(properties: serde_json::Map<String, Value>, description: &str) -> Value {
    let required: Vec<&String> = properties.keys().collect();
    json!({"type": "object", "description": description, "required": required,
        "properties": properties, "additionalProperties": false})
}
