using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;

namespace Playerbase.Tests
{
    /// <summary>
    /// The client's test program, for Mono outside Unity:
    ///   mono ClientTests.exe BASE_URL API_KEY
    /// against a live `playerbase serve` started with auth.access_seconds = 2
    /// and an API key with awards:write and players:write. Exits 1 if any test fails.
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            if (args.Length != 2)
            {
                Console.Error.WriteLine("usage: ClientTests.exe BASE_URL API_KEY");
                return 2;
            }
            var tests = new List<KeyValuePair<string, Func<Task>>>();
            ParsingTests.AddTo(tests);
            RetryAfterTests.AddTo(tests);
            SilenceTests.AddTo(tests);
            LiveServerTests.AddTo(tests, args[0], args[1]);

            int failed = 0;
            foreach (var test in tests)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    test.Value().GetAwaiter().GetResult();
                    Console.WriteLine("ok      " + test.Key + " (" + clock.ElapsedMilliseconds + " ms)");
                }
                catch (Exception e)
                {
                    failed++;
                    Console.WriteLine("FAILED  " + test.Key + ": " + e);
                }
            }
            Console.WriteLine((tests.Count - failed) + " passed, " + failed + " failed");
            return failed == 0 ? 0 : 1;
        }
    }
}
