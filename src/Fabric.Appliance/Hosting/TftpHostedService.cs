using System.Diagnostics.Metrics;
using Fabric.Tftp;
using Fabric.Tftp.Files;

namespace Fabric.Appliance.Hosting;

/// <summary>Runs <see cref="TftpServer"/> for the lifetime of the host.</summary>
internal sealed class TftpHostedService(
    IConfiguration configuration,
    ILogger<TftpServer> logger,
    ITftpVirtualFiles? virtualFiles,
    TimeProvider? timeProvider,
    IMeterFactory? meterFactory) : IHostedService, IAsyncDisposable
{
    private TftpServer? _server;

    public TftpServer? Server => _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        var options = TftpHosting.ReadOptions(configuration, errors);
        errors.AddRange(options.Validate().Where(e => options.Endpoint is not null || !e.StartsWith("Endpoint", StringComparison.Ordinal)));
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("TFTP configuration is invalid: " + string.Join(" ", errors.Distinct()));
        }

        _server = new TftpServer(options, logger, virtualFiles, timeProvider, meterFactory);
        await _server.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) =>
        _server?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
