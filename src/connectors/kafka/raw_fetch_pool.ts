/**
 * A `@platformatic/kafka` connection pool whose connections read Fetch responses with
 * fetch_response.ts, keeping each partition's records as bytes. `Consumer.fetch()` takes a pool
 * of its own (`connectionPool`), so only fetches made through this pool change: the library still
 * picks the Fetch version, builds the request, keeps the fetch session and retries. Its own
 * connections (group membership, metadata, commits) are untouched.
 * @module
 */
import type {
  Broker,
  CallbackWithPromise,
  Connection,
  ConnectionOptions,
  ConnectionPool,
} from "@platformatic/kafka";
import { parseFetchResponse, readsFetch } from "./fetch_response.ts";
import { platformatic } from "./platformatic_module.ts";

/** A pool for `Consumer.fetch({ connectionPool })` whose Fetch responses keep raw records. */
export function rawFetchPool(clientId: string, options: ConnectionOptions): ConnectionPool {
  const { ConnectionPool } = platformatic();
  class RawFetchPool extends ConnectionPool {
    override get(broker: Broker, callback: CallbackWithPromise<Connection>): void;
    override get(broker: Broker): Promise<Connection>;
    override get(
      broker: Broker,
      callback?: CallbackWithPromise<Connection>,
    ): void | Promise<Connection> {
      if (!callback) {
        return new Promise((resolve, reject) =>
          super.get(broker, (e, c) => e ? reject(e) : resolve(rawFetching(c!)))
        );
      }
      super.get(
        broker,
        ((error, connection) => {
          callback(error, connection && rawFetching(connection));
        }) as CallbackWithPromise<Connection>,
      );
    }
  }
  return new RawFetchPool(clientId, options);
}

/** `connection`, with Fetch responses of the versions fetch_response.ts reads parsed by it. */
function rawFetching(connection: Connection): Connection {
  const wrapped = Object.create(connection) as Connection;
  wrapped.send = (apiKey, apiVersion, payload, parser, ...rest) => {
    // The library's parsers are generic in their result; this one's is a Fetch response.
    const p = (readsFetch(apiKey, apiVersion) ? parseFetchResponse : parser) as typeof parser;
    return connection.send(apiKey, apiVersion, payload, p, ...rest);
  };
  return wrapped;
}
