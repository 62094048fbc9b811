namespace Simulators;

/// <summary>Runs the shop and marketing-system simulators as one standalone process for the README demo.</summary>
internal static class SimulatorsHost
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var app = builder.Build();
        app.MapGet("/", () => "simulators");
        app.Run();
    }
}
