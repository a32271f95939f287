// The smallest useful Worker: one fixed answer.
export default {
  fetch() {
    return new Response("hello", { headers: { "content-type": "text/plain" } });
  },
};
