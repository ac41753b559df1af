using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;

namespace Playerbase.Tests
{
    /// <summary>429 with Retry-After, against a fake server that answers 429 on cue.</summary>
    public static class RetryAfterTests
    {
        private const string PlayerJson = "{\"id\":1,\"username\":\"kicksent\",\"created_at\":\"2026-12-04T19:30:02Z\",\"twitch\":null,\"stats\":{},\"levels\":{}}";

        public static void AddTo(List<KeyValuePair<string, Func<Task>>> tests)
        {
            tests.Add(Test("429: waits Retry-After, then the same request succeeds", async () =>
            {
                using (var fake = new FakeServer(n => n == 0 ? FakeServer.TooManyRequests("1") : FakeServer.Ok(PlayerJson)))
                {
                    var client = new PlayerbaseClient(fake.BaseUrl);
                    var clock = Stopwatch.StartNew();
                    var player = await client.GetPlayerAsync(1);
                    Check.Equal("kicksent", player.username, "the answer after the wait");
                    Check.Equal(2, fake.Requests.Count, "requests");
                    var waited = fake.Requests[1].At - fake.Requests[0].At;
                    Check.That(waited >= TimeSpan.FromMilliseconds(950), "about 1 s between the 429 and the retry, waited " + waited.TotalMilliseconds + " ms");
                    Check.That(clock.Elapsed < TimeSpan.FromSeconds(10), "no more waiting than asked");
                }
            }));
            tests.Add(Test("429: an award's retry carries the same Idempotency-Key", async () =>
            {
                var result = "{\"player_id\":1,\"stats\":{\"meleeAtkXp\":50}}";
                using (var fake = new FakeServer(n => n == 0 ? FakeServer.TooManyRequests("0") : FakeServer.Ok(result)))
                {
                    var server = new PlayerbaseGameServer(fake.BaseUrl, "pbk_test");
                    var award = await server.AwardAsync(1, new[] { new StatAmount("meleeAtkXp", 50) });
                    Check.Equal(50L, award.stats.meleeAtkXp, "stats after");
                    Check.Equal(2, fake.Requests.Count, "requests");
                    Check.That(!string.IsNullOrEmpty(fake.Requests[0].IdempotencyKey), "an Idempotency-Key is made up");
                    Check.Equal(fake.Requests[0].IdempotencyKey, fake.Requests[1].IdempotencyKey, "the retry's key");
                }
            }));
            tests.Add(Test("429: given up after MaxAttempts, with the server's Retry-After", async () =>
            {
                using (var fake = new FakeServer(n => FakeServer.TooManyRequests("1")))
                {
                    var client = new PlayerbaseClient(fake.BaseUrl);
                    client.Api.MaxAttempts = 2;
                    var error = await Check.Fails(429, "rate_limited", () => client.GetLeaderboardAsync("meleeAtkXp"), "always 429");
                    Check.Equal(TimeSpan.FromSeconds(1), error.RetryAfter, "RetryAfter");
                    Check.Equal(2, fake.Requests.Count, "requests");
                }
            }));
            tests.Add(Test("an error with an empty body (a proxy's 502) is a PlayerbaseException, not a NullReferenceException", async () =>
            {
                using (var fake = new FakeServer(n => new FakeServer.Answer { Status = 502, Body = "" }))
                {
                    var client = new PlayerbaseClient(fake.BaseUrl, null, new NullOnEmptyParser());
                    var error = await Check.Fails(502, "http_502", () => client.LoginAsync("a", "b"), "an empty 502");
                    Check.Equal(1, fake.Requests.Count, "a login is not repeated");
                    Check.Equal(TimeSpan.Zero, error.RetryAfter, "no wait to keep");
                }
            }));
            tests.Add(Test("429: a wait longer than MaxRetryAfter is not waited out", async () =>
            {
                using (var fake = new FakeServer(n => FakeServer.TooManyRequests("3600")))
                {
                    var client = new PlayerbaseClient(fake.BaseUrl);
                    var clock = Stopwatch.StartNew();
                    var error = await Check.Fails(429, "rate_limited", () => client.LoginAsync("a", "b"), "an hour's wait");
                    Check.Equal(TimeSpan.FromHours(1), error.RetryAfter, "RetryAfter");
                    Check.Equal(1, fake.Requests.Count, "requests");
                    Check.That(clock.Elapsed < TimeSpan.FromSeconds(5), "answered at once");
                }
            }));
        }

        /// <summary>As Unity's JsonUtility: null for an empty text, where the field reader throws.</summary>
        private sealed class NullOnEmptyParser : IJsonParser
        {
            public T Parse<T>(string json) where T : new()
            {
                return string.IsNullOrEmpty(json) ? default(T) : new FieldJsonParser().Parse<T>(json);
            }
        }

        private static KeyValuePair<string, Func<Task>> Test(string name, Func<Task> body)
        {
            return new KeyValuePair<string, Func<Task>>(name, body);
        }
    }
}
