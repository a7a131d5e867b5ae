using System.Globalization;
using System.Net;
using Fabric.Tftp;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

// Usage: Fabric.Tftp.TestHost --root DIR --endpoint ADDR:PORT [--max-transfers N] [--max-transfers-per-client N]
//        [--max-idle-seconds N] [--timeout-ms N] [--retries N] [--verbose] [--no-stdin]
// Prints "LISTENING <endpoint>" once bound, then serves until standard input closes (unless --no-stdin) or SIGTERM.
var options = new TftpServerOptions();
bool verbose = false;
bool watchStdin = true;
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--root":
            options = options with { Root = Next() };
            break;
        case "--endpoint":
            options = options with { Endpoint = IPEndPoint.Parse(Next()) };
            break;
        case "--max-transfers":
            options = options with { MaxTransfers = int.Parse(Next(), CultureInfo.InvariantCulture) };
            break;
        case "--max-transfers-per-client":
            options = options with { MaxTransfersPerClient = int.Parse(Next(), CultureInfo.InvariantCulture) };
            break;
        case "--max-idle-seconds":
            options = options with { MaxIdleSeconds = int.Parse(Next(), CultureInfo.InvariantCulture) };
            break;
        case "--timeout-ms":
            options = options with { RetransmitTimeout = TimeSpan.FromMilliseconds(int.Parse(Next(), CultureInfo.InvariantCulture)) };
            break;
        case "--retries":
            options = options with { MaxRetries = int.Parse(Next(), CultureInfo.InvariantCulture) };
            break;
        case "--verbose":
            verbose = true;
            break;
        case "--no-stdin":
            watchStdin = false;
            break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}");
            return 2;
    }
}

using var loggerFactory = verbose
    ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Debug))
    : NullLoggerFactory.Instance;
await using var server = new TftpServer(options, loggerFactory.CreateLogger<TftpServer>());
await server.StartAsync();
Console.Out.WriteLine($"LISTENING {server.LocalEndPoint}");
Console.Out.Flush();

var done = new TaskCompletionSource();
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
    System.Runtime.InteropServices.PosixSignal.SIGTERM,
    ctx =>
    {
        ctx.Cancel = true;
        done.TrySetResult();
    });
if (watchStdin)
{
    _ = Task.Run(() =>
    {
        while (Console.In.Read() >= 0)
        {
        }

        done.TrySetResult();
    });
}
await done.Task;
await server.StopAsync();
return 0;
