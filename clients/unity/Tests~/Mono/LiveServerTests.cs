using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Playerbase.Tests
{
    /// <summary>
    /// Every method of both clients against a live server whose access
    /// tokens live two seconds (auth.access_seconds = 2). The server counts
    /// whole seconds, so such a token works for one to two seconds: long
    /// enough for a refreshed token to carry its retry, short enough to
    /// expire within a test.
    /// </summary>
    public static class LiveServerTests
    {
        private const string Password = "python3x-secret";
        private static readonly string Run = Guid.NewGuid().ToString("N").Substring(0, 6);

        public static void AddTo(List<KeyValuePair<string, Func<Task>>> tests, string baseUrl, string apiKey)
        {
            Func<PlayerbaseClient> client = () => new PlayerbaseClient(baseUrl);
            Func<PlayerbaseGameServer> gameServer = () => new PlayerbaseGameServer(baseUrl, apiKey);
            // A new player named `name`, logged in through a client whose requests `recorder` keeps.
            Func<RecordingTransport, string, Task<PlayerbaseClient>> loggedIn = async (recorder, name) =>
            {
                var loggedInClient = new PlayerbaseClient(baseUrl, recorder);
                await loggedInClient.CreatePlayerAsync(name, Password);
                await loggedInClient.LoginAsync(name, Password);
                return loggedInClient;
            };

            Add(tests, "sign-up, then the profile by id and by name", async () =>
            {
                var players = client();
                var created = await players.CreatePlayerAsync(Name("signup"), Password, Name("signup") + "@example.com");
                Check.That(created.id > 0, "an id");
                Check.Equal(0L, created.stats.meleeAtkXp, "a new player's stat");
                Check.Equal(1, created.levels.meleeAtkXp, "a new player's level");
                Check.That(string.IsNullOrEmpty(created.email), "the public view has no email");
                var byId = await players.GetPlayerAsync(created.id);
                Check.Equal(created.username, byId.username, "by id");
                var byName = await players.GetPlayerByNameAsync(created.username.ToUpperInvariant());
                Check.Equal(created.id, byName.id, "by name, ignoring case");
                Check.That(!byName.HasTwitch, "no Twitch account");
            });

            Add(tests, "a taken username is 409 username_taken", async () =>
            {
                var players = client();
                var name = Name("taken");
                await players.CreatePlayerAsync(name, Password);
                await Check.Fails(409, "username_taken", () => players.CreatePlayerAsync(name.ToUpperInvariant(), Password), "the same name in capitals");
            });

            Add(tests, "an unknown player is 404 player_not_found", async () =>
            {
                await Check.Fails(404, "player_not_found", () => client().GetPlayerByNameAsync(Name("nobody")), "by name");
                await Check.Fails(404, "player_not_found", () => client().GetPlayerAsync(987654321), "by id");
            });

            Add(tests, "a wrong password is 401, and no session is kept", async () =>
            {
                var players = client();
                var name = Name("wrongpw");
                await players.CreatePlayerAsync(name, Password);
                await Check.Fails(401, "unauthorized", () => players.LoginAsync(name, "not-the-password"), "login");
                Check.Equal(null, players.Session, "session");
                await Check.Fails(401, "not_logged_in", () => players.GetMeAsync(), "me without a session");
            });

            Add(tests, "login keeps the tokens; me shows the email", async () =>
            {
                var players = client();
                var name = Name("login");
                await players.CreatePlayerAsync(name, Password, name + "@example.com");
                Session announced = null;
                players.SessionChanged += s => announced = s;
                var session = await players.LoginAsync(name, Password);
                Check.That(session.AccessToken.StartsWith("pba_") && session.RefreshToken.StartsWith("pbr_"), "access and refresh tokens");
                Check.That(ReferenceEquals(session, announced), "SessionChanged announced the session");
                var me = await players.GetMeAsync();
                Check.Equal(name, me.username, "me");
                Check.Equal(name.ToLowerInvariant() + "@example.com", me.email.ToLowerInvariant(), "the private email");
            });

            Add(tests, "an expired access token is refreshed before the request", async () =>
            {
                var recorder = new RecordingTransport(new HttpClientTransport());
                var players = new PlayerbaseClient(baseUrl, recorder);
                var name = Name("expiry");
                await players.CreatePlayerAsync(name, Password);
                var first = await players.LoginAsync(name, Password);
                await Task.Delay(2500); // past the server's 2 s, and past the client's own idea of it
                var me = await players.GetMeAsync();
                Check.Equal(name, me.username, "me after expiry");
                Check.That(players.Session.AccessToken != first.AccessToken, "a new access token");
                Check.That(!recorder.Statuses.Contains(401), "refreshed ahead, no 401: " + recorder.PathsAndStatuses());
                Check.That(recorder.Requests.Any(r => r.Url.EndsWith("/api/v1/auth/refresh")), "a refresh was made");
            });

            Add(tests, "a 401 on an expired token (clocks apart) is refreshed and retried", async () =>
            {
                var recorder = new RecordingTransport(new HttpClientTransport());
                var players = new PlayerbaseClient(baseUrl, recorder);
                var frozen = DateTime.UtcNow;
                players.Clock = () => frozen; // the client believes the token is still fresh
                var name = Name("expired");
                await players.CreatePlayerAsync(name, Password);
                var first = await players.LoginAsync(name, Password);
                await Task.Delay(2500); // expired on the server for sure
                var me = await players.GetMeAsync();
                Check.Equal(name, me.username, "me after the 401");
                Check.That(players.Session.AccessToken != first.AccessToken, "a new access token");
                var seen = recorder.PathsAndStatuses();
                Check.That(seen.EndsWith("GET /api/v1/me 401, POST /api/v1/auth/refresh 200, GET /api/v1/me 200"), "401, refresh, retry: " + seen);
            });

            Add(tests, "a spent refresh token ends the session", async () =>
            {
                var players = client();
                var name = Name("spent");
                await players.CreatePlayerAsync(name, Password);
                var first = await players.LoginAsync(name, Password);
                await players.RefreshAsync();
                var stale = client();
                await Check.Fails(401, "unauthorized", () => stale.ResumeAsync(first.RefreshToken), "resuming with a spent refresh token");
                Check.Equal(null, stale.Session, "the stale client forgot its session");
            });

            Add(tests, "resume from a kept refresh token; logout ends the session", async () =>
            {
                var players = client();
                var name = Name("resume");
                await players.CreatePlayerAsync(name, Password);
                var kept = (await players.LoginAsync(name, Password)).RefreshToken;
                var later = client();
                await later.ResumeAsync(kept);
                Check.Equal(name, (await later.GetMeAsync()).username, "me after resuming");
                var refreshToken = later.Session.RefreshToken;
                await later.LogoutAsync();
                Check.Equal(null, later.Session, "session after logout");
                await Check.Fails(401, "unauthorized", () => client().ResumeAsync(refreshToken), "the logged-out session's refresh token");
            });

            Add(tests, "a refresh whose caller gave up on it still keeps the new tokens", async () =>
            {
                var recorder = new RecordingTransport(new HttpClientTransport());
                var name = Name("giveup");
                var players = await loggedIn(recorder, name);
                recorder.AnswerDelay = TimeSpan.FromMilliseconds(300);
                var impatient = players.RefreshAsync(new CancellationTokenSource(50).Token);
                var patient = players.RefreshAsync();
                try
                {
                    await impatient;
                    throw new Exception("the impatient caller was not cancelled");
                }
                catch (OperationCanceledException) { }
                await patient;
                recorder.AnswerDelay = TimeSpan.Zero;
                await players.RefreshAsync();
                Check.Equal(name, (await players.GetMeAsync()).username, "the session lives on after a given-up refresh");
            });

            Add(tests, "update the account: email, then password", async () =>
            {
                var recorder = new RecordingTransport(new HttpClientTransport());
                var name = Name("update");
                var players = await loggedIn(recorder, name);
                await Check.Fails(401, "wrong_password", () => players.UpdateMeAsync("wrong-password", newEmail: name + "@example.org"), "a wrong current password");
                Check.That(!recorder.Requests.Any(r => r.Url.EndsWith("/api/v1/auth/refresh")), "a wrong password is not a token to refresh: " + recorder.PathsAndStatuses());
                var updated = await players.UpdateMeAsync(Password, newEmail: name + "@example.org");
                Check.Equal((name + "@example.org").ToLowerInvariant(), updated.email.ToLowerInvariant(), "the new email");
                var withoutEmail = await players.RemoveEmailAsync(Password);
                Check.That(string.IsNullOrEmpty(withoutEmail.email), "the email is removed: " + withoutEmail.email);
                Check.That(string.IsNullOrEmpty((await players.GetMeAsync()).email), "the email stays removed");
                await players.UpdateMeAsync(Password, newPassword: "n3w-secret-pw");
                Check.Equal(name, (await players.GetMeAsync()).username, "this session survives the password change");
                await Check.Fails(401, "unauthorized", () => client().LoginAsync(name, Password), "the old password");
                await client().LoginAsync(name, "n3w-secret-pw");
            });

            Add(tests, "delete the account: wrong password 401, then gone", async () =>
            {
                var players = client();
                var name = Name("delete");
                var created = await players.CreatePlayerAsync(name, Password);
                await players.LoginAsync(name, Password);
                await Check.Fails(401, "wrong_password", () => players.DeleteMeAsync("wrong-password"), "a wrong password");
                await players.DeleteMeAsync(Password);
                Check.Equal(null, players.Session, "session after deleting");
                await Check.Fails(404, "player_not_found", () => client().GetPlayerAsync(created.id), "the deleted player");
            });

            Add(tests, "the stat catalog lists the default ten", async () =>
            {
                var catalog = await client().GetStatsAsync();
                Check.Equal(10, catalog.stats.Length, "stats");
                Check.Equal("meleeAtkXp", catalog.stats[0].key, "first key");
                Check.Equal("add", catalog.stats[0].op, "op");
                Check.Equal(0L, catalog.stats[0].Min, "min");
                Check.Equal(null, catalog.stats[0].Max, "no max");
                Check.Equal("runescape", catalog.stats[0].LevelCurve, "the default curve");
            });

            Add(tests, "award one player; history shows it with its source and reason", async () =>
            {
                var created = await client().CreatePlayerAsync(Name("award"), Password);
                var result = await gameServer().AwardAsync(created.id, new[] { new StatAmount("meleeAtkXp", 50), new StatAmount("shieldXp", 5) }, "quest 7");
                Check.Equal(created.id, result.player_id, "player_id");
                Check.Equal(50L, result.stats.meleeAtkXp, "meleeAtkXp after");
                Check.Equal(5L, result.stats.shieldXp, "shieldXp after");
                var player = await client().GetPlayerAsync(created.id);
                Check.Equal(50L, player.stats.meleeAtkXp, "the profile");
                Check.Equal(1, player.levels.meleeAtkXp, "level below 83 XP");
                var history = await client().GetAwardHistoryAsync(created.id, limit: 1);
                Check.Equal(1, history.awards.Length, "one per page");
                Check.Equal("quest 7", history.awards[0].reason, "reason");
                Check.That(history.awards[0].source.StartsWith("api:"), "source api:KEY, got " + history.awards[0].source);
                Check.That(history.next > 0, "a next page");
                var rest = await client().GetAwardHistoryAsync(created.id, before: history.next);
                Check.Equal(1, rest.awards.Length, "the second page");
                Check.Equal(0L, rest.next, "no page after the last");
                var melee = (await client().GetStatsAsync()).stats[0];
                var more = await gameServer().AwardAsync(created.id, new[] { new StatAmount("meleeAtkXp", melee.NextLevelAt(50).Value - 50) });
                Check.Equal(83L, more.stats.meleeAtkXp, "awarded up to the next level");
                var levelled = await client().GetPlayerAsync(created.id);
                Check.Equal(melee.LevelOf(levelled.stats.meleeAtkXp), levelled.levels.meleeAtkXp, "the server's level is the client's");
                Check.Equal(2, levelled.levels.meleeAtkXp, "level 2 at 83 XP");
            });

            Add(tests, "a lost answer is retried with the same Idempotency-Key and applied once", async () =>
            {
                var created = await client().CreatePlayerAsync(Name("lost"), Password);
                var recorder = new RecordingTransport(new HttpClientTransport()) { AnswersToLose = 1 };
                var server = new PlayerbaseGameServer(baseUrl, apiKey, recorder);
                server.Api.RetryBackoff = TimeSpan.FromMilliseconds(50);
                var result = await server.AwardAsync(created.id, new[] { new StatAmount("speedXp", 7) });
                Check.Equal(2, recorder.Requests.Count, "attempts");
                Check.Equal(recorder.Requests[0].Headers["Idempotency-Key"], recorder.Requests[1].Headers["Idempotency-Key"], "the key of both attempts");
                Check.Equal(7L, result.stats.speedXp, "the retry's answer");
                Check.Equal(7L, (await client().GetPlayerAsync(created.id)).stats.speedXp, "applied once");
            });

            Add(tests, "awards: unknown stat 422, unknown player 404, bad key 401", async () =>
            {
                var created = await client().CreatePlayerAsync(Name("refused"), Password);
                await Check.Fails(422, "unknown_stat", () => gameServer().AwardAsync(created.id, new[] { new StatAmount("noSuchXp", 1) }), "unknown stat");
                await Check.Fails(404, "player_not_found", () => gameServer().AwardAsync(987654321, new[] { new StatAmount("speedXp", 1) }), "unknown player");
                var wrongKey = new PlayerbaseGameServer(baseUrl, "pbk_not-a-real-key");
                await Check.Fails(401, "unauthorized", () => wrongKey.AwardAsync(created.id, new[] { new StatAmount("speedXp", 1) }), "bad key");
            });

            Add(tests, "a Twitch viewer's player; a batch by player id and Twitch id", async () =>
            {
                var twitchId = new Random().Next(100000, 999999999).ToString();
                var viewer = await gameServer().CreateTwitchPlayerAsync(Name("viewer"), twitchId);
                Check.That(viewer.HasTwitch, "linked");
                Check.Equal(twitchId, viewer.twitch.user_id, "twitch.user_id");
                var byTwitch = await client().GetPlayerByTwitchAsync(twitchId);
                Check.Equal(viewer.id, byTwitch.id, "by Twitch id");
                foreach (var mistake in new Action[] {
                    () => client().GetPlayerByTwitchAsync(""),
                    () => client().GetPlayerByNameAsync(null),
                    () => gameServer().AwardAsync(viewer.id, null),
                    () => gameServer().AwardBatchAsync(null) })
                {
                    try { mistake(); throw new Exception("a missing argument went to the server"); }
                    catch (ArgumentException) { }
                }
                var other = await client().CreatePlayerAsync(Name("batch"), Password);
                var batch = await gameServer().AwardBatchAsync(new[]
                {
                    BatchAward.ToPlayer(other.id, "evasionXp", 10),
                    BatchAward.ToTwitchUser(twitchId, "evasionXp", 12),
                    BatchAward.ToTwitchUser(twitchId, "sizeXp", 3),
                }, "raid");
                Check.Equal(3L, batch.applied, "applied");
                Check.Equal(12L, (await client().GetPlayerAsync(viewer.id)).stats.evasionXp, "the viewer's stat");
                Check.Equal(10L, (await client().GetPlayerAsync(other.id)).stats.evasionXp, "the other's stat");
                await Check.Fails(404, "player_not_found", () => gameServer().AwardBatchAsync(new[]
                {
                    BatchAward.ToPlayer(other.id, "evasionXp", 1),
                    BatchAward.ToTwitchUser("1", "evasionXp", 1),
                }), "a batch naming an unknown Twitch id");
                Check.Equal(10L, (await client().GetPlayerAsync(other.id)).stats.evasionXp, "all or nothing");
            });

            Add(tests, "leaderboards: the top, and a rank with neighbours", async () =>
            {
                // blockXp is awarded by this test alone, so the board is only these three.
                var low = await client().CreatePlayerAsync(Name("low"), Password);
                var high = await client().CreatePlayerAsync(Name("high"), Password);
                var mid = await client().CreatePlayerAsync(Name("mid"), Password);
                await gameServer().AwardAsync(low.id, new[] { new StatAmount("blockXp", 100) });
                await gameServer().AwardAsync(high.id, new[] { new StatAmount("blockXp", 300) });
                await gameServer().AwardAsync(mid.id, new[] { new StatAmount("blockXp", 200) });
                var board = await client().GetLeaderboardAsync("blockXp", limit: 2);
                Check.Equal(3L, board.total, "total");
                Check.Equal(2, board.entries.Length, "limit");
                Check.Equal(high.id, board.entries[0].player_id, "first");
                Check.Equal(1L, board.entries[0].rank, "first rank");
                Check.Equal(300L, board.entries[0].value, "first value");
                Check.Equal(mid.username, board.entries[1].username, "second");
                var week = await client().GetLeaderboardAsync("blockXp", offset: 2, period: Periods.Week);
                Check.Equal("week", week.period, "period");
                Check.Equal(low.id, week.entries[0].player_id, "offset 2 of this week");
                var rank = await client().GetRankAsync("blockXp", low.id, radius: 1);
                Check.Equal(3L, rank.rank, "rank");
                Check.Equal(100L, rank.value, "value");
                Check.Equal(2, rank.entries.Length, "the player and one neighbour above");
                Check.Equal(mid.id, rank.entries[0].player_id, "the neighbour");
                var unranked = await client().CreatePlayerAsync(Name("unranked"), Password);
                await Check.Fails(404, "not_ranked", () => client().GetRankAsync("blockXp", unranked.id), "not on the board");
                await Check.Fails(422, "unknown_stat", () => client().GetLeaderboardAsync("noSuchXp"), "an unknown stat");
            });

            Add(tests, "live events: a fresh subscription knows the newest id before the first award", async () =>
            {
                var created = await client().CreatePlayerAsync(Name("opening"), Password);
                await gameServer().AwardAsync(created.id, new[] { new StatAmount("healthXp", 1) });
                var newest = (await client().GetAwardHistoryAsync(created.id)).awards[0].id;
                var errors = new List<Exception>();
                using (var subscription = client().SubscribeToEvents(e => { }, onError: e => { lock (errors) errors.Add(e); }))
                    await WaitFor(() => subscription.LastEventId >= newest, "the opening id (" + newest + ")", errors);
            });

            Add(tests, "live events: missed ones from Last-Event-ID, then live ones, across a resubscription", async () =>
            {
                var created = await client().CreatePlayerAsync(Name("events"), Password);
                await gameServer().AwardAsync(created.id, new[] { new StatAmount("healthXp", 1) });
                var before = (await client().GetAwardHistoryAsync(created.id)).awards[0].id;
                var received = new List<AwardEvent>();
                var errors = new List<Exception>();
                Func<AwardEvent, bool> mine = e => e.player_id == created.id;
                var subscription = client().SubscribeToEvents(e => { lock (received) received.Add(e); }, onError: e => { lock (errors) errors.Add(e); }, lastEventId: before - 1);
                await WaitFor(() => received.Count(mine) >= 1, "the missed award, from the ledger", errors);
                Check.Equal(before, received.First(mine).EventId, "the missed award's id");
                await gameServer().AwardAsync(created.id, new[] { new StatAmount("healthXp", 2) });
                await WaitFor(() => received.Count(mine) >= 2, "the live award", errors);
                var live = received.Where(mine).ElementAt(1);
                Check.Equal(created.username, live.username, "username");
                Check.Equal("healthXp", live.stat, "stat");
                Check.Equal(2L, live.amount, "amount");
                Check.Equal(3L, live.value, "value");
                subscription.Dispose();
                await subscription.Running;
                var resumeFrom = subscription.LastEventId;
                await gameServer().AwardAsync(created.id, new[] { new StatAmount("healthXp", 4) });
                var again = new List<AwardEvent>();
                using (client().SubscribeToEvents(e => { lock (again) again.Add(e); }, lastEventId: resumeFrom))
                    await WaitFor(() => again.Any(mine), "the award made while unsubscribed", errors);
                Check.Equal(7L, again.First(mine).value, "its value");
            });
        }

        private static async Task WaitFor(Func<bool> condition, string what, List<Exception> errors)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                if (condition()) return;
                await Task.Delay(20);
            }
            throw new Exception("timed out waiting for " + what + (errors.Count > 0 ? "; errors: " + string.Join("; ", errors.Select(e => e.Message)) : ""));
        }

        /// <summary>A username unique to this run: 1–32 of A–Z a–z 0–9 _.</summary>
        private static string Name(string what)
        {
            return what + "_" + Run;
        }

        private static void Add(List<KeyValuePair<string, Func<Task>>> tests, string name, Func<Task> body)
        {
            tests.Add(new KeyValuePair<string, Func<Task>>(name, body));
        }
    }
}
