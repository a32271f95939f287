// The platform's floor for a list read: one Worker that forwards to one
// SQLite Durable Object, which reads one row and answers JSON. Nothing the
// edge does beyond this is the platform's cost.
import { DurableObject } from "cloudflare:workers";

export class Floor extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    );
    this.sql.exec("INSERT OR IGNORE INTO items (id, name) VALUES (1, 'floor')");
  }

  fetch() {
    const row = this.sql.exec("SELECT id, name FROM items WHERE id = 1").one();
    return Response.json(row);
  }
}

export default {
  fetch(request, env) {
    return env.FLOOR.getByName("floor").fetch(request);
  },
};
