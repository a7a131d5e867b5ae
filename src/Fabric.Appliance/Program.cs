using Fabric.Appliance.Hosting;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
var problems = builder.AddFabricAppliance();
if (problems.Count > 0)
{
    Console.Error.WriteLine("fabric-appliance: cannot start, the settings have problems:");
    foreach (var problem in problems)
    {
        Console.Error.WriteLine($"  {problem}");
    }

    return 2;
}

builder.Services.AddFabricDhcp(builder.Configuration);
builder.Services.AddFabricTftp(builder.Configuration);
builder.Services.AddFabricWeb(builder.Configuration);

var app = builder.Build();
app.MapFabricAppliance();
app.MapFabricWeb();
try
{
    await app.RunAsync();
}
catch (OptionsValidationException e)
{
    Console.Error.WriteLine("fabric-appliance: cannot start, the settings have problems:");
    foreach (var failure in e.Failures)
    {
        Console.Error.WriteLine($"  {failure}");
    }

    return 2;
}

return 0;

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
